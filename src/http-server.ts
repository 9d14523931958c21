import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects (or resolves a reason string) when not. */
  check(): Promise<string | undefined>;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: HealthCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`${check.name}: no answer within ${CHECK_TIMEOUT_MS} ms`),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    const reason = await Promise.race([
      check.check().then(
        (r) => (r === undefined ? undefined : `${check.name}: ${r}`),
        (error: unknown) => `${check.name}: ${error instanceof Error ? error.message : String(error)}`,
      ),
      timeout,
    ]);
    return reason;
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz` (200 healthy, 503 with the reasons) and `/metrics` (Prometheus text format). */
export async function startOpsServer(options: {
  port: number;
  host?: string;
  checks: readonly HealthCheck[];
  registry: Registry;
  logger: Logger;
}): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    void (async () => {
      try {
        if (request.method === 'GET' && path === '/healthz') {
          const reasons = (await Promise.all(options.checks.map(runCheck))).filter(
            (reason): reason is string => reason !== undefined,
          );
          const healthy = reasons.length === 0;
          response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          response.end(JSON.stringify(healthy ? { status: 'ok' } : { status: 'unavailable', reasons }));
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
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'health and metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
