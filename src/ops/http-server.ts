import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects (or resolves a reason string) when not. */
  check(): Promise<string | undefined>;
}

/** What one shard of this process looks like on /healthz. */
export type ShardState = 'running' | 'standby' | 'starting' | 'stopped';

export interface ShardHealth {
  id: number;
  state(): ShardState;
  /** The gateway connection's status, e.g. `Ready`, or `none` when the shard is not connected here. */
  gateway(): string;
  activeTasks(): number;
  /** Who holds the shard's lease (host and pid) while this process waits for it. */
  leaseHolder(): string | undefined;
  /** What must hold while the shard runs here (gateway, store); empty when it does not run here. */
  checks(): readonly HealthCheck[];
}

export interface OpsServer {
  port: number;
  /** The address it listens on. */
  host: string;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: HealthCheck, shardId: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`${check.name}: shard ${shardId}: no answer within ${CHECK_TIMEOUT_MS} ms`),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    const reason = await Promise.race([
      check.check().then(
        (r) => (r === undefined ? undefined : `${check.name}: shard ${shardId}: ${r}`),
        (error: unknown) =>
          `${check.name}: shard ${shardId}: ${error instanceof Error ? error.message : String(error)}`,
      ),
      timeout,
    ]);
    return reason;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz` and `/metrics` (Prometheus text format). `/healthz` lists every shard of the process and
 * answers 200, or 503 with the reasons when a shard that runs here is broken; a shard waiting for its
 * lease (standby) is healthy: it is alive and ready to take over.
 */
export async function startOpsServer(options: {
  port: number;
  /** No authentication is asked: loopback unless the operator chose otherwise (HTTP_HOST). */
  host: string;
  shards: () => readonly ShardHealth[];
  registry: Registry;
  logger: Logger;
}): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    void (async () => {
      try {
        if (request.method === 'GET' && path === '/healthz') {
          const shards = await Promise.all(
            options.shards().map(async (shard) => {
              const problems = (
                await Promise.all(shard.checks().map((check) => runCheck(check, shard.id)))
              ).filter((reason): reason is string => reason !== undefined);
              const holder = shard.leaseHolder();
              return {
                report: {
                  id: shard.id,
                  state: shard.state(),
                  gateway: shard.gateway(),
                  activeTasks: shard.activeTasks(),
                  ...(holder !== undefined ? { leaseHolder: holder } : {}),
                },
                problems,
              };
            }),
          );
          const reasons = shards.flatMap((shard) => shard.problems);
          const healthy = reasons.length === 0;
          const body = {
            status: healthy ? 'ok' : 'unavailable',
            ...(healthy ? {} : { reasons }),
            shards: shards.map((shard) => shard.report),
          };
          response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
          return;
        }
        if (request.method === 'GET' && path === '/metrics') {
          const body = await options.registry.metrics();
          response.writeHead(200, { 'content-type': options.registry.contentType });
          response.end(body);
          return;
        }
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found\n');
      } catch (error) {
        options.logger.error({ err: error }, 'ops endpoint failed');
        if (!response.headersSent) response.writeHead(500);
        response.end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port, address: host } = server.address() as AddressInfo;
  options.logger.info({ host, port }, 'health and metrics listening');
  return {
    port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
