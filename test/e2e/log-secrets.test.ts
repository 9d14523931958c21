import { describe, expect, it } from 'vitest';
import { API_KEY, useStack } from './harness.js';

/**
 * Discord's interaction routes carry the interaction token in their path, and discord.js's errors carry
 * that path (`url`) and the whole request (`requestBody`, files included). A failed reply must leave
 * neither in the logs: whoever reads them could answer as the bot for 15 minutes.
 */
describe('log lines after failed interaction replies', () => {
  const createStack = useStack();

  it('hold no interaction token and no request body when the reply and its edit are refused', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_logged', steps: [{ atMs: 0, status: 'queued' }] });
    await stack.startBot();

    // The first answer (the deferral) is refused; the bot's error answer then goes through.
    stack.discord.faults.failNext({
      method: 'POST',
      route: '/interactions/:interaction_id/:interaction_token/callback',
      status: 400,
      code: 50035,
      message: 'Invalid Form Body',
    });
    const refused = stack.sora('track', { id: 'video_logged' });
    await refused.response();
    await stack.discord.waitFor(
      () => stack.logs.some((line) => line.includes('interaction handler failed')),
      {
        description: 'the failed reply to be logged',
      },
    );

    // The edit of the deferred reply (a webhook route, token in the path) is refused.
    stack.discord.faults.failNext({
      method: 'PATCH',
      route: '/webhooks/:webhook_id/:webhook_token/messages/:message_id',
      status: 400,
      code: 50035,
      message: 'Invalid Form Body',
    });
    const edited = stack.sora('status', { id: 'video_logged' });
    await edited.response();
    await stack.discord.waitFor(
      () => stack.logs.filter((line) => line.includes('interaction handler failed')).length >= 2,
      { description: 'the failed edit to be logged' },
    );

    const logs = stack.logs.join('');
    for (const token of [refused.token, edited.token]) expect(logs).not.toContain(token);
    expect(logs).not.toContain('requestBody');
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(stack.discord.token);
    // What failed is still said: the route, with the token replaced.
    expect(logs).toMatch(/\/interactions\/\d+\/\[REDACTED\]\/callback/);
  });
});
