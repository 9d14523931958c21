import { describe, expect, it } from 'vitest';
import { findPostedResult, findSentDm, type OwnMessage } from '../../../src/discord/posted-lookup.js';

const progress = '1000';
const task = { taskId: 'task_1', progressMessageId: progress };

describe('finding a result an earlier try posted', () => {
  it('finds the reply to the progress message', () => {
    const own: OwnMessage[] = [
      { id: '1001', content: 'something else' },
      { id: '1002', content: '<@7> your video is ready', replyToId: progress },
    ];
    expect(findPostedResult(own, task)?.id).toBe('1002');
  });

  it('finds a result posted without the reply by the task id it names', () => {
    const own: OwnMessage[] = [{ id: '1003', content: '<@7> `task_1` is ready' }];
    expect(findPostedResult(own, task)?.id).toBe('1003');
  });

  it('keeps the oldest when an earlier try posted twice', () => {
    const own: OwnMessage[] = [
      { id: '10010', content: 'ready', replyToId: progress },
      { id: '9999', content: 'ready', replyToId: progress },
    ];
    expect(findPostedResult(own, task)?.id).toBe('9999');
  });

  it('ignores messages about another task, even one whose id starts the same', () => {
    const own: OwnMessage[] = [
      { id: '1004', content: '`task_12` is ready', replyToId: '999' },
      { id: '1005', content: 'progress of task_1 without the code form' },
    ];
    expect(findPostedResult(own, task)).toBeUndefined();
  });
});

describe('finding a DM an earlier try sent', () => {
  it('finds the DM naming the task, not one about another', () => {
    const own: OwnMessage[] = [
      { id: '2001', content: '`task_12` finished' },
      { id: '2002', content: '`task_1` finished in <#5>' },
    ];
    expect(findSentDm(own, 'task_1')?.id).toBe('2002');
    expect(findSentDm(own, 'task_2')).toBeUndefined();
  });
});
