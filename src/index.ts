import { createApp } from './app.js';
import { ConfigError, loadBotConfig } from './config.js';
import { tuneHeapForLongRuns } from './heap-tuning.js';
import { createLogger } from './logger.js';

/** Entry point: read the configuration once, build the app, run until SIGTERM or SIGINT. */
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

  const logger = createLogger({ level: config.logLevel, secrets: [config.apiKey, config.discordToken] });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });

  const app = await createApp({ config, logger });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A second signal, or a shutdown that hangs, still ends the process.
    setTimeout(() => process.exit(1), 12_000).unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await app.start();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sora-tracker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
