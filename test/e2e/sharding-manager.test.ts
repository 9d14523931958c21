import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from './harness.js';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';
import { createShardWorld, eventually, type HealthAnswer } from './shards.js';

/**
 * `npm run start:sharded`: discord.js's ShardingManager runs each shard in a child process of its own,
 * serving /healthz on HTTP_PORT + shard id, and starts a child again when it dies.
 */
async function twoFreePorts(): Promise<number> {
  const bind = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : undefined;
        server.close(() => resolve(bound));
      });
    });
  for (;;) {
    const base = await bind(0);
    if (base !== undefined && base < 65535 && (await bind(base + 1)) !== undefined) return base;
  }
}

async function health(port: number): Promise<HealthAnswer | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
  } catch {
    return undefined;
  }
}

/** pids the manager logged for a shard's children, oldest first. */
function spawnedPids(manager: BotProcess, shard: number): number[] {
  return manager
    .stdout()
    .split('\n')
    .filter((line) => line.includes('"msg":"shard spawned"'))
    .map((line) => JSON.parse(line) as { shard: number; pid: number })
    .filter((entry) => entry.shard === shard)
    .map((entry) => entry.pid);
}

describe('npm run start:sharded (ShardingManager)', () => {
  const createStack = useStack();
  const running: BotProcess[] = [];
  afterEach(async () => {
    for (const bot of running.splice(0)) await bot.kill('SIGKILL');
  });

  it('runs one child per shard on HTTP_PORT + id, respawns a dead one, and stops all on SIGTERM', async () => {
    const w = await createShardWorld(createStack, undefined);
    const base = await twoFreePorts();
    const manager = spawnBot(
      {
        ...w.stack.env,
        STORE_URL: 'memory://',
        SHARD_COUNT: '2',
        HTTP_PORT: String(base),
      },
      'src/sharded.ts',
    );
    running.push(manager);

    for (const shard of [0, 1]) {
      await eventually(
        async () => (await health(base + shard))?.body.shards[0]?.state === 'running',
        `shard ${shard}'s child to run and serve /healthz on ${base + shard}`,
        40_000,
      );
      expect((await health(base + shard))?.body.shards.map((s) => s.id)).toEqual([shard]);
    }
    expect(
      w.stack.discord.gateway
        .sessions()
        .filter((s) => s.connected)
        .map((s) => s.shard)
        .sort(),
    ).toEqual([
      [0, 2],
      [1, 2],
    ]);

    const [firstPid] = spawnedPids(manager, 1);
    expect(firstPid).toBeGreaterThan(0);
    process.kill(firstPid!, 'SIGKILL');
    await eventually(
      async () =>
        spawnedPids(manager, 1).length === 2 && (await health(base + 1))?.body.shards[0]?.state === 'running',
      'the manager to respawn shard 1',
      30_000,
    );
    expect(spawnedPids(manager, 1)[1]).not.toBe(firstPid);

    expect(await manager.kill('SIGTERM')).toBe(0);
    expect(await health(base)).toBeUndefined();
    expect(await health(base + 1)).toBeUndefined();
  }, 60_000);

  it("a child whose manager is killed stops too, so the next manager's children can take its shard", async () => {
    const w = await createShardWorld(createStack, undefined);
    const base = await twoFreePorts();
    const manager = spawnBot(
      { ...w.stack.env, STORE_URL: 'memory://', SHARD_COUNT: '2', SHARD_IDS: '1', HTTP_PORT: String(base) },
      'src/sharded.ts',
    );
    running.push(manager);
    await eventually(
      async () => (await health(base + 1))?.body.shards[0]?.state === 'running',
      "shard 1's child to run",
      40_000,
    );
    const [child] = spawnedPids(manager, 1);
    expect(await manager.kill('SIGKILL')).toBe('SIGKILL');
    await eventually(async () => (await health(base + 1)) === undefined, 'the orphaned child to stop');
    const gone = () => {
      try {
        process.kill(child!, 0);
        return false;
      } catch {
        return true;
      }
    };
    await eventually(() => Promise.resolve(gone()), 'the orphaned child to exit');
  }, 60_000);

  it('refuses a SQLite store and a missing SHARD_COUNT, in one line', async () => {
    const env = {
      DISCORD_TOKEN: 'token-value',
      SORA_API_KEY: 'sk-value',
      SORA_BASE_URL: 'http://127.0.0.1:9/v1',
    };
    const sqlite = spawnBot({ ...env, SHARD_COUNT: '2' }, 'src/sharded.ts');
    running.push(sqlite);
    expect(await sqlite.exited).toBe(1);
    expect(sqlite.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Configuration error: STORE_URL must be redis:\/\/… \(or memory:\/\/\) for start:sharded/,
      ),
    ]);
    const noCount = spawnBot({ ...env, STORE_URL: 'memory://' }, 'src/sharded.ts');
    running.push(noCount);
    expect(await noCount.exited).toBe(1);
    expect(noCount.stderr().trim()).toMatch(/^Configuration error: SHARD_COUNT is required by start:sharded/);
  });
});
