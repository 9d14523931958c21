import { fileURLToPath } from 'node:url';
import { ShardingManager, type Shard } from 'discord.js';
import { ConfigError, loadBotConfig, storeUrlSecrets } from './config.js';
import { NODE_FLAGS } from './ops/heap-tuning.js';
import { createLogger } from './ops/logger.js';

/**
 * `npm run start:sharded`: every shard of this machine in a child process of its own, started and
 * restarted when it dies by discord.js's ShardingManager. Each child is the ordinary entry point
 * (src/index.ts) running one shard: discord.js gives it SHARDING_MANAGER, SHARDS=<id> and SHARD_COUNT,
 * and it serves /healthz and /metrics on HTTP_PORT + <id>.
 */
async function main(): Promise<void> {
  let config;
  try {
    if (process.env.SHARD_COUNT === undefined || process.env.SHARD_COUNT.trim() === '') {
      throw new ConfigError(
        'SHARD_COUNT',
        'is required by start:sharded: the total number of Discord shards',
      );
    }
    config = loadBotConfig(process.env);
    if (config.storeUrl.startsWith('sqlite://')) {
      throw new ConfigError(
        'STORE_URL',
        'must be redis://… (or memory://) for start:sharded: several processes cannot share one SQLite file; ' +
          'run one process with SHARD_COUNT instead to keep SQLite',
      );
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({
    level: config.logLevel,
    secrets: [config.apiKey, config.discordToken, ...storeUrlSecrets(config.storeUrl)],
  }).child({ component: 'sharding-manager' });

  // Built: dist/sharded.js starts dist/index.js. From source (tsx), src/index.ts through tsx.
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSource ? './index.ts' : './index.js', import.meta.url));
  const manager = new ShardingManager(file, {
    totalShards: config.shardCount,
    shardList: config.shardIds,
    mode: 'process',
    respawn: true,
    token: config.discordToken,
    execArgv: [...NODE_FLAGS, ...(fromSource ? ['--import', 'tsx'] : [])],
  });

  const watch = (shard: Shard) => {
    shard.on('spawn', (child) =>
      logger.info({ shard: shard.id, pid: 'pid' in child ? child.pid : undefined }, 'shard spawned'),
    );
    shard.on('death', () => logger.warn({ shard: shard.id }, 'shard process exited'));
  };
  manager.on('shardCreate', watch);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping every shard');
    manager.respawn = false;
    const exits = [...manager.shards.values()].map(
      (shard) =>
        new Promise<void>((resolve) => {
          const child = shard.process;
          if (!child || child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    setTimeout(() => process.exit(1), 15_000).unref();
    void Promise.all(exits).then(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  // Children in standby (another process holds their shard's lease) never become ready: do not wait.
  await manager.spawn({ timeout: -1 });
  logger.info({ shards: config.shardIds, shardCount: config.shardCount }, 'every shard spawned');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sora-tracker (sharded) failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
