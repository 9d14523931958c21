import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Events } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from '../../../../testkit/fake-discord/client.js';
import { pollUntil } from '../../../../testkit/fake-discord/harness.js';

const main = fileURLToPath(new URL('../../../../testkit/fake-discord/main.ts', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

/** Starts main.ts and reads the `NAME=value` lines it prints. */
async function startStandalone(): Promise<Record<string, string>> {
  child = spawn(process.execPath, ['--import', 'tsx', main], { stdio: 'pipe' });
  const printed: Record<string, string> = {};
  for await (const line of createInterface({ input: child.stdout })) {
    const [name, value] = line.split('=', 2);
    if (name && value && !line.startsWith('#')) printed[name] = value;
    if (printed.DISCORD_TOKEN) break;
  }
  return printed;
}

describe('standalone process', () => {
  it('prints DISCORD_API_URL and the token; a bot connects and a command driven over the control API reaches it', async () => {
    const env = await startStandalone();
    expect(env.DISCORD_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    const client = await connectClient({ apiUrl: env.DISCORD_API_URL!, token: env.DISCORD_TOKEN! });
    try {
      client.once(Events.InteractionCreate, (i) => {
        if (i.isChatInputCommand()) void i.reply(`hello ${i.user.username}`);
      });
      const control = env.DISCORD_API_URL!.replace(/\/api$/, '/_fake');
      const state = (await (await fetch(`${control}/state`)).json()) as {
        guilds: { channels: { id: string }[] }[];
        users: { id: string; username: string }[];
      };
      const alice = state.users.find((u) => u.username === 'alice')!;

      const started = (await (
        await fetch(`${control}/interactions/command`, {
          method: 'POST',
          body: JSON.stringify({
            userId: alice.id,
            channelId: state.guilds[0]!.channels[0]!.id,
            name: 'ping',
          }),
        })
      ).json()) as { id: string; deliveredTo: number };
      expect(started.deliveredTo).toBe(1);

      type Outcome = { status: string; original: { versions: { content: string }[] } | null };
      const outcome = await pollUntil(async () => {
        const answer = (await (await fetch(`${control}/interactions/${started.id}`)).json()) as Outcome;
        return answer.status === 'acknowledged' ? answer : undefined;
      }, 'the bot to answer');
      expect(outcome.original?.versions.map((v) => v.content)).toEqual(['hello alice']);
    } finally {
      await client.destroy();
    }
  });
});
