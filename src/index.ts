import { ConfigError, loadBotConfig, storeUrlSecrets } from './config.js';
import { tuneHeapForLongRuns } from './ops/heap-tuning.js';
import { createLogger } from './ops/logger.js';
import { startShards } from './app/shards.js';

/** Entry point: read the configuration once, start this process's shards, run until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  tuneHeapForLongRuns();
  let config;
  try {
    config = loadBotConfig(process.env);
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
  });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });

  const bot = await startShards({
    config,
    logger,
    onFatal: (error) => {
      process.stderr.write(
        `sora-tracker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals | 'manager gone') => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A second signal, or a shutdown that hangs, still ends the process.
    setTimeout(() => process.exit(1), 12_000).unref();
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A child of `npm run start:sharded` whose manager is gone (even killed) stops too: left running, it
  // would keep its shard's lease and the manager's next children would wait for it forever.
  if (process.env.SHARDING_MANAGER !== undefined && process.connected) {
    process.once('disconnect', () => shutdown('manager gone'));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sora-tracker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
