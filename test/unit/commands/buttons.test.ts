import { describe, expect, it } from 'vitest';
import {
  BUTTON_ACTION_HANDLERS,
  notifyAnswer,
  refreshAnswer,
} from '../../../src/discord/commands/buttons/actions.js';
import { trackedTaskId } from '../../../src/discord/commands/buttons.js';
import { createTranslator } from '../../../src/i18n/index.js';
import { taskIdHash } from '../../../src/render/index.js';
import type { Tracker } from '../../../src/tracking/tracker.js';

const tr = createTranslator('en-US');

describe('button answers', () => {
  it('says when a refresh went through, failed, or came too soon (rounded up to the second)', () => {
    expect(refreshAnswer(tr, { kind: 'refreshed', outcome: 'changed' })).toBe(tr('button.refreshed'));
    expect(refreshAnswer(tr, { kind: 'refreshed', outcome: undefined })).toBe(tr('button.refreshFailed'));
    expect(refreshAnswer(tr, { kind: 'too_soon', retryAt: 1_700_000_000_001 })).toContain('<t:1700000001:');
    expect(refreshAnswer(tr, { kind: 'not_tracked' })).toBe(tr('button.notTracked'));
  });

  it('says whether a DM is now on or off', () => {
    expect(notifyAnswer(tr, { kind: 'on' })).toBe(tr('button.notifyOn'));
    expect(notifyAnswer(tr, { kind: 'off' })).toBe(tr('button.notifyOff'));
  });
});

describe('the stop button', () => {
  function trackerWith(requesterId: string) {
    const untracked: string[] = [];
    const tracker = {
      subscription: () => Promise.resolve({ requesterId }),
      untrack: (taskId: string) => {
        untracked.push(taskId);
        return Promise.resolve({ kind: 'untracked' });
      },
    } as unknown as Tracker;
    return { tracker, untracked };
  }
  const press = (userId: string, manages: boolean) => ({
    taskId: 'video_1',
    channelId: 'c',
    userId,
    canManageMessages: () => manages,
  });

  it('stops for the requester or a member who manages messages, and refuses anyone else', async () => {
    const alice = '400000000000000004';
    const { tracker, untracked } = trackerWith(alice);
    expect(await BUTTON_ACTION_HANDLERS.stop(tracker, tr, press('bob', false))).toContain(`<@${alice}>`);
    expect(untracked).toEqual([]);
    expect(await BUTTON_ACTION_HANDLERS.stop(tracker, tr, press(alice, false))).toContain('video_1');
    expect(await BUTTON_ACTION_HANDLERS.stop(tracker, tr, press('carol', true))).toContain('video_1');
    expect(untracked).toEqual(['video_1', 'video_1']);
  });
});

describe('which task a button names', () => {
  it('finds a long id by its hash among the tasks tracked in the channel', async () => {
    const long = `video_${'x'.repeat(120)}`;
    const tracker = {
      subscription: () => Promise.resolve(undefined),
      listChannel: () =>
        Promise.resolve([{ subscription: { taskId: 'video_2' } }, { subscription: { taskId: long } }]),
    } as unknown as Tracker;
    expect(await trackedTaskId(tracker, { kind: 'hash', hash: taskIdHash(long) }, 'c')).toBe(long);
    expect(await trackedTaskId(tracker, { kind: 'id', taskId: 'video_2' }, 'c')).toBeUndefined();
  });
});
