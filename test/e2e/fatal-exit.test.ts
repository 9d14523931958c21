import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from './harness.js';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';

/**
 * A bot that cannot start exits with 1, and its last log line (the reason) is written before it goes:
 * pino writes asynchronously, so an exit without a flush loses exactly the line an operator needs.
 */
describe('a bot that cannot start', () => {
  const createStack = useStack();
  const bots: BotProcess[] = [];
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.kill('SIGKILL');
  });

  it('logs why before it exits', async () => {
    const stack = await createStack();
    const bot = spawnBot({ ...stack.env, DISCORD_TOKEN: 'not-the-bot-token', HTTP_PORT: '0' });
    bots.push(bot);
    expect(await bot.exited).toBe(1);
    const fatal = bot
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"level":60'));
    expect(fatal.join('\n')).toContain('shard could not start');
    expect(bot.stdout() + bot.stderr()).not.toContain('not-the-bot-token');
  });
});
