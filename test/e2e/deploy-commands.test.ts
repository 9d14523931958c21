import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../../testkit/fake-discord/index.js';

/** `npm run deploy-commands`: registers /sora as operators run it, globally or in one server. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function deploy(env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/deploy-commands.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run deploy-commands', () => {
  let discord: FakeDiscord | undefined;
  afterEach(() => discord?.close());

  it('registers /sora with its subcommands and localisations, globally and in one server', async () => {
    discord = await startFakeDiscord();
    const guild = discord.world.guild({ name: 'Dev' });
    const env = { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl };

    const inGuild = await deploy(env, ['--guild', guild.id]);
    expect(inGuild.code).toBe(0);
    expect(inGuild.stdout).toContain(`in server ${guild.id}`);
    const [command] = discord.commands.guild(guild);
    expect(command?.name).toBe('sora');
    expect((command?.options as { name: string }[]).map((o) => o.name)).toEqual([
      'track',
      'status',
      'untrack',
      'list',
    ]);
    expect(command?.name_localizations).toMatchObject({ 'zh-CN': expect.any(String) });
    expect(discord.commands.global()).toEqual([]);

    const global = await deploy(env);
    expect(global.code).toBe(0);
    expect(discord.commands.global().map((c) => c.name)).toEqual(['sora']);
  });

  it('says what is wrong with a bad server id or a missing token, and never prints the token', async () => {
    discord = await startFakeDiscord();
    const bad = await deploy({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl }, [
      '--guild',
      'abc',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--guild needs a server id/);

    const missing = await deploy({ DISCORD_API_URL: discord.apiUrl });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DISCORD_TOKEN is required/);

    const wrong = await deploy({ DISCORD_TOKEN: 'wrong-token-value', DISCORD_API_URL: discord.apiUrl });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong-token-value');
  });
});
