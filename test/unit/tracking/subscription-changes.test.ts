import { describe, expect, it } from 'vitest';
import { withNotify, withRenderedHash } from '../../../src/tracking/subscription-changes.js';
import { sampleSubscription } from '../../integration/store/support.js';

/** The changes writers make to a subscription, applied by the store to the record as stored then. */

const BOB = '300000000000000002';

describe('subscription changes', () => {
  it('puts a person on the DM list or takes them off, and leaves the record alone when nothing changes', () => {
    const sub = sampleSubscription('video_1', 'c1', { notifyUserIds: ['300000000000000001'] });
    expect(withNotify(sub, BOB, true).notifyUserIds).toEqual(['300000000000000001', BOB]);
    expect(withNotify(withNotify(sub, BOB, true), BOB, false)).toEqual(sub);
    expect(withNotify(sub, BOB, false)).toBe(sub);
    expect(withNotify(sub, '300000000000000001', true)).toBe(sub);
  });

  it('records what a message shows only while the record still points at that message', () => {
    const sub = sampleSubscription('video_1', 'c1', { messageId: 'm1', lastRenderedHash: 'old' });
    expect(withRenderedHash(sub, 'm1', 'new')).toEqual({ ...sub, lastRenderedHash: 'new' });
    expect(withRenderedHash(sub, 'm1', 'old')).toBeUndefined();
    // Dropped meanwhile, or tracked again with another message: nothing to record.
    expect(withRenderedHash(undefined, 'm1', 'new')).toBeUndefined();
    expect(withRenderedHash({ ...sub, messageId: 'm2' }, 'm1', 'new')).toBeUndefined();
  });
});
