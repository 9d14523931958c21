import { describe, expect, it } from 'vitest';
import { checkTaskId } from '../../../src/domain/task-id.js';

describe('checkTaskId (ids are opaque, only path-safe ones are refused)', () => {
  it.each([
    ['OpenAI video id', 'video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5'],
    ['yutoai video uuid', 'video_b9d05dda-0f9d-48c2-944e-7c5b47c6a399'],
    ['new-api public id', 'task_AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
    ['jusu/anyfast id with a colon', 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60'],
    ['new-api docs id', 'sora-2-123456'],
    ['globalaiopc id', 'sora_abc123def456'],
    ['kfcv50 character id', 'char_2f7a9c'],
    ['dots that are not . or ..', '...'],
    ['one character', 'x'],
    ['exactly 200 characters', 'a'.repeat(200)],
  ])('accepts a %s unchanged', (_name, id) => {
    expect(checkTaskId(id)).toEqual({ ok: true, id });
  });

  it('trims a pasted space or newline around the id', () => {
    expect(checkTaskId('  video_123\n')).toEqual({ ok: true, id: 'video_123' });
  });

  it.each([
    ['empty', '', 'empty'],
    ['blank', '   ', 'empty'],
    ['.', '.', '`.` and `..`'],
    ['..', '..', '`.` and `..`'],
    ['201 characters', 'a'.repeat(201), '201 characters'],
    ['a slash', 'video_1/../../admin', '`/`'],
    ['a query', 'video_1?x=1', '`?`'],
    ['a fragment', 'video_1#x', '`#`'],
    ['a percent escape', 'sora-2%3Atask_1', '`%`'],
    ['a space inside', 'video 1', 'a space'],
    ['a backtick', 'video`1', 'U+0060'],
    ['non-ASCII', 'vidéo_1', 'U+00E9'],
  ])('refuses %s and shows what an id looks like', (_name, input, problem) => {
    const result = checkTaskId(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain(problem);
    expect(result.reason).toContain('sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm');
  });
});
