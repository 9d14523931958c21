import { describe, expect, it } from 'vitest';
import { API_KEY, useStack } from '../e2e/harness.js';

/**
 * What a user is told when the video API fails is ours, never the upstream's: relays answer errors with
 * bodies that echo the caller's key and their own headers. Through the real bot: whatever the status,
 * the answer names the kind of failure and quotes neither the key, nor a header, nor the body.
 */
const UPSTREAM_TOKEN = 'upstream-token-9f8e7d6c5b4a';
const UPSTREAM_PHRASE = 'stack trace from relay-node-7';

function leakyBody(status: number) {
  return {
    error: {
      message: `${UPSTREAM_PHRASE}: HTTP ${status} for GET /v1/videos with Authorization: Bearer ${API_KEY}; x-upstream-token: ${UPSTREAM_TOKEN}`,
      headers: { authorization: `Bearer ${API_KEY}`, 'x-upstream-token': UPSTREAM_TOKEN },
    },
  };
}

describe('errors shown to users', () => {
  const createStack = useStack();

  it('never include the key, upstream headers or upstream bodies, whatever the status', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_leaky', steps: [{ atMs: 0, status: 'in_progress', progress: 10 }] });
    await stack.startBot();

    const expected: Record<number, RegExp> = {
      500: /^The video API cannot be reached right now/,
      502: /^The video API cannot be reached right now/,
      400: /^The video API rejected the request for `video_leaky`/,
      401: /^The video API refused this bot's API key/,
      403: /^The video API refused this bot's API key/,
      429: /^The video API is limiting requests right now\. Try again in 7s\./,
    };
    for (const [status, wording] of Object.entries(expected)) {
      for (const subcommand of ['track', 'status'] as const) {
        stack.api.setFault({
          route: 'status',
          times: 10,
          fault: {
            kind: 'status',
            status: Number(status),
            headers: { 'x-upstream-token': UPSTREAM_TOKEN, 'retry-after': '7' },
            body: leakyBody(Number(status)),
          },
        });
        const reply = await stack
          .sora(subcommand, { id: 'video_leaky' })
          .waitForOriginal((m) => m.current.content.length > 0, { timeoutMs: 10_000 });
        const text = reply.current.content;
        expect(text, `${subcommand} answered ${status}`).toMatch(wording);
        for (const secret of [API_KEY, UPSTREAM_TOKEN, UPSTREAM_PHRASE, 'Bearer', 'x-upstream'])
          expect(text, `${subcommand} answered ${status}`).not.toContain(secret);
      }
    }
    stack.api.clearFaults();

    // Nothing was tracked, and nothing the bot wrote anywhere carries a secret.
    expect(stack.botMessages()).toEqual([]);
    const everything = JSON.stringify(stack.discord.messages.inChannel(stack.channel).map((m) => m.versions));
    for (const secret of [API_KEY, stack.discord.token, UPSTREAM_TOKEN]) {
      expect(everything).not.toContain(secret);
      expect(stack.logs.join('')).not.toContain(secret);
    }
  });
});
