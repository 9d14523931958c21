import { describe, expect, it } from 'vitest';
import {
  BUTTON_ACTIONS,
  decodeButtonId,
  encodeButtonId,
  refersTo,
  taskIdHash,
} from '../../../src/render/index.js';

const SHORT_ID = 'video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5';
const RELAY_ID = 'sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm';
const LONG_ID = `task_${'a1B2.c3:D4-'.repeat(18)}`.slice(0, 200);

describe('button custom_ids', () => {
  it('round-trips every action with an id that fits, carrying the id itself', () => {
    for (const action of BUTTON_ACTIONS) {
      for (const taskId of [SHORT_ID, RELAY_ID, 'x', 'a:b:c']) {
        const customId = encodeButtonId(action, taskId);
        expect(customId).toContain(taskId);
        expect(decodeButtonId(customId)).toEqual({ action, task: { kind: 'id', taskId } });
      }
    }
  });

  it('is versioned and compact: sora1:<one letter>:<task>', () => {
    expect(encodeButtonId('refresh', SHORT_ID)).toBe(`sora1:r:${SHORT_ID}`);
    expect(encodeButtonId('notify', SHORT_ID)).toBe(`sora1:n:${SHORT_ID}`);
    expect(encodeButtonId('stop', SHORT_ID)).toBe(`sora1:s:${SHORT_ID}`);
  });

  it('stays within 100 characters for a 200-character id by naming it with a short hash', () => {
    expect(LONG_ID).toHaveLength(200);
    for (const action of BUTTON_ACTIONS) {
      const customId = encodeButtonId(action, LONG_ID);
      expect(customId.length).toBeLessThanOrEqual(100);
      const decoded = decodeButtonId(customId);
      expect(decoded?.action).toBe(action);
      expect(decoded?.task.kind).toBe('hash');
      expect(refersTo(decoded!.task, LONG_ID)).toBe(true);
      expect(refersTo(decoded!.task, `${LONG_ID.slice(0, 199)}x`)).toBe(false);
    }
  });

  it('embeds an id up to the limit and hashes one character beyond it', () => {
    const fits = 'a'.repeat(100 - 'sora1:r:'.length);
    expect(encodeButtonId('refresh', fits)).toHaveLength(100);
    expect(decodeButtonId(encodeButtonId('refresh', fits))?.task).toEqual({ kind: 'id', taskId: fits });
    expect(decodeButtonId(encodeButtonId('refresh', `${fits}a`))?.task.kind).toBe('hash');
  });

  it('hashes stably: the same id always gives the same 16-character hash, different ids differ', () => {
    expect(taskIdHash(LONG_ID)).toBe(taskIdHash(LONG_ID));
    expect(taskIdHash(LONG_ID)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(taskIdHash(LONG_ID)).not.toBe(taskIdHash(`${LONG_ID}b`));
  });

  it('a reference by id names only that id', () => {
    const decoded = decodeButtonId(encodeButtonId('notify', SHORT_ID))!;
    expect(refersTo(decoded.task, SHORT_ID)).toBe(true);
    expect(refersTo(decoded.task, `${SHORT_ID}0`)).toBe(false);
  });

  it.each([
    ['another bot', 'confirm_delete'],
    ['an older or newer format', `sora2:r:${SHORT_ID}`],
    ['an unknown action', `sora1:x:${SHORT_ID}`],
    ['no task', 'sora1:r:'],
    ['a task id with characters no id has', 'sora1:r:../etc/passwd'],
    ['a malformed hash', 'sora1:r:#short'],
    ['too long', `sora1:r:${'a'.repeat(100)}`],
    ['empty', ''],
  ])('refuses %s', (_name, customId) => {
    expect(decodeButtonId(customId)).toBeUndefined();
  });
});
