import { describe, expect, it } from 'vitest';
import { useStack } from '../../e2e/harness.js';

/**
 * Task ids people paste can be anything. Through the real bot and the local Discord: every malformed id
 * gets a clear refusal naming what a task id looks like, for every subcommand that takes one, and the
 * video API never sees a single request.
 */
const HOSTILE_IDS: Record<string, string> = {
  'path traversal': '../../etc/passwd',
  'a parent segment alone': '..',
  'traversal after a valid id': 'video_1/../../admin',
  'an encoded slash': 'video_1%2F..%2F..%2Fadmin',
  'an encoded dot segment': '%2e%2e',
  'a query string': 'video_1?include=secrets',
  'a fragment': 'video_1#content',
  '10,000 characters': `video_${'a'.repeat(9_994)}`,
  'a Cyrillic look-alike': 'vіdeo_68d7512d07848190b3e45da0',
  'fullwidth letters': 'ｖｉｄｅｏ＿１２３',
  'a zero-width space': 'video_1\u200b2',
  'a right-to-left override': 'video_1\u202egpj.exe',
  'a NUL byte': 'video_1\u0000',
  'a control character inside': 'video\u0007_1',
  'a line break inside': 'video_1\nvideo_2',
  'an emoji': 'video_🎬',
  empty: '',
  'only spaces': '   ',
};

describe('malformed task ids', () => {
  const createStack = useStack();

  it('are refused clearly by track, status and untrack, and never reach the video API', async () => {
    const stack = await createStack();
    await stack.startBot();

    for (const [what, id] of Object.entries(HOSTILE_IDS)) {
      for (const subcommand of ['track', 'status', 'untrack'] as const) {
        const reply = await stack
          .sora(subcommand, { id })
          .waitForOriginal((m) => m.current.content.length > 0, { timeoutMs: 5_000 });
        const text = reply.current.content;
        expect(text, `${subcommand} with ${what}`).toMatch(/is not a valid task id\. Ids are 1–200 letters/);
        expect(reply.ephemeral).toBe(true);
        // The refusal quotes the id inert and short: no control characters, no line breaks from the input.
        expect(text.length).toBeLessThanOrEqual(2000);
        // eslint-disable-next-line no-control-regex
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
      }
    }
    expect(stack.api.requests).toEqual([]);
    expect(stack.botMessages()).toEqual([]);
  });
});
