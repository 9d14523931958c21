import { describe, expect, it } from 'vitest';
import { API_KEY, embedText, freePort, useStack } from './harness.js';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';
import { createManualClock } from '../../testkit/clock/manual-clock.js';

/**
 * The bot as a real process: killed with SIGKILL mid-task and started again on the same SQLite file, it
 * goes on editing the same message; its health and metrics endpoints tell the truth; bad configuration
 * stops it with one line.
 */
describe('the bot process', () => {
  const createStack = useStack();
  const running: BotProcess[] = [];
  const start = (env: Record<string, string>) => {
    const bot = spawnBot(env);
    running.push(bot);
    return bot;
  };

  it('resumes after kill -9: the same message goes on being edited, nothing is posted twice', async () => {
    // The task moves on only when the test says so, however slow the machine is.
    const apiClock = createManualClock(Date.now());
    const stack = await createStack({ apiClock });
    stack.api.addTask({
      id: 'video_restart',
      steps: [
        { atMs: 0, status: 'in_progress', progress: 10 },
        { atMs: 1_000, status: 'in_progress', progress: 50 },
        { atMs: 2_000, status: 'completed', progress: 100 },
      ],
    });
    const commandsRegistered = () => stack.discord.commands.global().length > 0;

    try {
      const first = start(stack.env);
      await stack.discord.waitFor(commandsRegistered, {
        description: 'the first process to register commands',
        timeoutMs: 20_000,
      });
      await stack
        .sora('track', { id: 'video_restart' })
        .waitForOriginal((m) => m.current.content.includes('Tracking'));
      const [message] = stack.botMessages();
      expect(embedText(message!)).toMatch(/10%/);

      expect(await first.kill('SIGKILL')).toBe('SIGKILL');
      const versionsAtKill = message!.versions.length;
      await apiClock.advance(1_000);

      start(stack.env);
      await stack.discord.waitFor(() => /50%/.test(embedText(message!)), {
        description: 'the restarted bot to edit the same message',
        timeoutMs: 20_000,
      });
      expect(message!.versions.length).toBeGreaterThan(versionsAtKill);
      await apiClock.advance(1_000);
      await stack.discord.waitFor(() => /Completed/.test(embedText(message!)), {
        description: 'the same message to reach Completed',
        timeoutMs: 20_000,
      });
      // One progress message and, once delivered, one result replying to it: nothing posted twice.
      await stack.discord.waitFor(() => stack.botMessages().length === 2, {
        description: 'the result message',
      });
      expect(stack.progressMessages()).toEqual([message]);
      expect(stack.discord.messages.inChannel(stack.channel).filter((m) => !m.ephemeral)).toHaveLength(2);
    } finally {
      for (const bot of running.splice(0)) await bot.kill();
    }
  });

  it('serves /healthz and /metrics, and shuts down cleanly on SIGTERM', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_ops', steps: [{ atMs: 0, status: 'in_progress', progress: 20 }] });
    const port = await freePort();
    try {
      const bot = start({ ...stack.env, HTTP_PORT: String(port) });
      await stack.discord.waitFor(() => stack.discord.commands.global().length > 0, {
        description: 'the bot to connect',
        timeoutMs: 20_000,
      });
      await stack
        .sora('track', { id: 'video_ops' })
        .waitForOriginal((m) => m.current.content.includes('Tracking'));

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // Without SHARD_COUNT: one shard, 0 of 1, running here (a SQLite store: no lease).
      expect(await health.json()).toEqual({
        status: 'ok',
        shards: [{ id: 0, state: 'running', gateway: 'Ready', activeTasks: 1 }],
      });

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^sora_tracker_tasks_tracked\{shard="0"\} 1$/m);
      expect(metrics).toMatch(/^sora_tracker_shard_running\{shard="0"\} 1$/m);
      expect(metrics).toMatch(
        /sora_tracker_discord_requests_total\{shard="0",method="POST",route="\/channels\/:id\/messages",status="200"\} 1/,
      );
      expect(metrics).toMatch(
        /sora_tracker_api_request_duration_seconds_count\{shard="0",operation="get_video",outcome="ok"\} \d+/,
      );

      expect(await bot.kill('SIGTERM')).toBe(0);
      const logs = bot.stdout();
      expect(logs).toContain('"msg":"stopped"');
      // Every line of the shard's work says which shard it is.
      const trackLine = logs.split('\n').find((line) => line.includes('"msg":"connected to Discord"'));
      expect(trackLine).toContain('"shard":0');
      expect(logs).not.toContain(API_KEY);
      expect(logs).not.toContain(stack.discord.token);
    } finally {
      for (const bot of running.splice(0)) await bot.kill();
    }
  });

  it('/healthz answers 503 naming the store while the store does not answer', async () => {
    const stack = await createStack();
    const [deadRedisPort, opsPort] = [await freePort(), await freePort()];
    const app = await stack.startBot({
      STORE_URL: `redis://127.0.0.1:${deadRedisPort}`,
      HTTP_PORT: String(opsPort),
    });
    expect(app.opsPort).toBe(opsPort);
    const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.reasons).toEqual([expect.stringMatching(/^store: /)]);
  });

  it('stops at once with one line naming a missing SORA_API_KEY', async () => {
    const { SORA_API_KEY: _omitted, ...env } = { SORA_API_KEY: 'x', DISCORD_TOKEN: 'token-value' };
    const bot = start(env);
    expect(await bot.exited).toBe(1);
    const lines = bot.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^Configuration error: SORA_API_KEY is required/)]);
  });
});
