import { describe, expect, it } from 'vitest';
import { renderProgressMessage, visibleHash } from '../../../src/render/index.js';
import { NOW, snapshot, view } from './fixtures.js';

describe('visibleHash', () => {
  it('is stable across polls that change nothing people see', () => {
    const v = view({ snapshot: snapshot({ estimatedWaitSeconds: 125, progress: 40.2 }) });
    const first = visibleHash(renderProgressMessage(v, NOW));
    // Later polls: time moves on, the wait estimate drifts by seconds, progress moves within the same percent.
    const later = view({
      snapshot: snapshot({
        estimatedWaitSeconds: 118,
        progress: 40.9,
        statusUpdatedAt: new Date(NOW + 60_000),
      }),
    });
    expect(visibleHash(renderProgressMessage(later, NOW + 60_000))).toBe(first);
    expect(visibleHash(renderProgressMessage(v, NOW + 10 * 60_000))).toBe(first);
  });

  it('changes when progress, status or the last update change', () => {
    const base = visibleHash(renderProgressMessage(view(), NOW));
    expect(visibleHash(renderProgressMessage(view({ snapshot: snapshot({ progress: 41 }) }), NOW))).not.toBe(
      base,
    );
    expect(
      visibleHash(renderProgressMessage(view({ snapshot: snapshot({ status: 'queued' }) }), NOW)),
    ).not.toBe(base);
    expect(visibleHash(renderProgressMessage(view({ lastUpdateAt: NOW }), NOW))).not.toBe(base);
    expect(
      visibleHash(renderProgressMessage(view({ tracking: { state: 'ended', reason: 'max_age' } }), NOW)),
    ).not.toBe(base);
  });

  it('ignores key order and parts nobody sees, but not visible ones', () => {
    const a = { content: 'x', embeds: [{ title: 't', color: 1 }], allowed_mentions: { parse: [] } };
    const b = {
      allowed_mentions: { users: ['1'] },
      embeds: [{ color: 1, title: 't' }],
      content: 'x',
      nonce: 'n',
    };
    expect(visibleHash(a)).toBe(visibleHash(b));
    expect(visibleHash({ ...a, components: [{ type: 1, components: [] }] })).not.toBe(visibleHash(a));
    expect(visibleHash({ ...a, content: 'y' })).not.toBe(visibleHash(a));
  });
});
