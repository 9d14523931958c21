import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { shardChecks, shardHealth } from '../../../src/ops/health.js';
import {
  startOpsServer,
  type HealthCheck,
  type OpsServer,
  type ShardHealth,
} from '../../../src/ops/http-server.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { createCaptureLogger } from '../../../testkit/logging/capture-logger.js';

/**
 * The ops server over real HTTP on 127.0.0.1: /healthz (200 or 503 with the reasons, every shard
 * listed), /metrics in Prometheus text, and nothing else.
 */

const servers: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  shards: () => readonly ShardHealth[],
  registry: Registry = new Registry(),
): Promise<{ url: string; lines: ReturnType<typeof createCaptureLogger>['lines'] }> {
  const { logger, lines } = createCaptureLogger();
  const server = await startOpsServer({ port: 0, host: '127.0.0.1', shards, registry, logger });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}`, lines };
}

function shard(overrides: Partial<ShardHealth> & { id: number }): ShardHealth {
  return {
    state: () => 'running',
    gateway: () => 'Ready',
    activeTasks: () => 0,
    leaseHolder: () => undefined,
    checks: () => [],
    ...overrides,
  };
}

const passing = (name: string): HealthCheck => ({ name, check: () => Promise.resolve(undefined) });

describe('/healthz', () => {
  it('answers 200 with every shard of the process when every check passes', async () => {
    const { url } = await serve(() => [
      shard({ id: 0, activeTasks: () => 3, checks: () => [passing('gateway'), passing('store')] }),
      shard({ id: 1, state: () => 'standby', gateway: () => 'none', leaseHolder: () => 'host-b:4242' }),
    ]);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      status: 'ok',
      shards: [
        { id: 0, state: 'running', gateway: 'Ready', activeTasks: 3 },
        { id: 1, state: 'standby', gateway: 'none', activeTasks: 0, leaseHolder: 'host-b:4242' },
      ],
    });
  });

  it('answers 503 naming the check and the shard for a reason given, a rejection, or no answer in time', async () => {
    const { url } = await serve(() => [
      shard({
        id: 2,
        state: () => 'starting',
        gateway: () => 'Connecting',
        checks: () => [
          { name: 'gateway', check: () => Promise.resolve('not connected (Connecting)') },
          { name: 'store', check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) },
          { name: 'slow', check: () => new Promise<string | undefined>(() => {}) },
        ],
      }),
    ]);
    const response = await fetch(`${url}/healthz?verbose=1`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'unavailable',
      reasons: [
        'gateway: shard 2: not connected (Connecting)',
        'store: shard 2: connect ECONNREFUSED 127.0.0.1:6379',
        'slow: shard 2: no answer within 2000 ms',
      ],
      shards: [{ id: 2, state: 'starting', gateway: 'Connecting', activeTasks: 0 }],
    });
  });

  it("runs a shard's own checks: gateway readiness and a store ping", async () => {
    let ready = false;
    let storeUp = true;
    const gateway = { ready: () => ready, status: () => (ready ? 'Ready' : 'Connecting') };
    const store = {
      ping: () => (storeUp ? Promise.resolve() : Promise.reject(new Error('The tracking store is closed'))),
    };
    const checks = shardChecks({ gateway, store });
    const health = shardHealth({ id: 0, started: () => true, gateway, activeTasks: () => 7, checks });
    const { url } = await serve(() => [health]);

    const connecting = await fetch(`${url}/healthz`);
    expect(connecting.status).toBe(503);
    expect(await connecting.json()).toMatchObject({
      reasons: ['gateway: shard 0: not connected (Connecting)'],
      shards: [{ id: 0, state: 'starting', gateway: 'Connecting', activeTasks: 7 }],
    });

    ready = true;
    const running = await fetch(`${url}/healthz`);
    expect(running.status).toBe(200);
    expect(await running.json()).toMatchObject({ shards: [{ state: 'running', gateway: 'Ready' }] });

    storeUp = false;
    const storeDown = await fetch(`${url}/healthz`);
    expect(storeDown.status).toBe(503);
    expect(await storeDown.json()).toMatchObject({
      reasons: ['store: shard 0: The tracking store is closed'],
    });
  });

  it('answers 500 and logs it when the shards cannot be listed', async () => {
    const { url, lines } = await serve(() => {
      throw new Error('boom');
    });
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(500);
    expect(lines.some((line) => line.msg === 'ops endpoint failed')).toBe(true);
  });
});

describe('/metrics', () => {
  it("serves the registry in Prometheus' text format", async () => {
    const metrics = createMetrics();
    const shardMetrics = metrics.forShard(0, { tasksTracked: () => 5 });
    shardMetrics.polls.inc({ outcome: 'changed' });
    metrics.setShardRunning(0, true);
    const { url } = await serve(() => [], metrics.registry);

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    const body = await response.text();
    expect(body).toContain('sora_tracker_tasks_tracked{shard="0"} 5');
    expect(body).toContain('sora_tracker_shard_running{shard="0"} 1');
    expect(body).toContain('sora_tracker_polls_total{shard="0",outcome="changed"} 1');
    expect(body).toContain('sora_tracker_process_cpu_seconds_total');
  });

  it('answers 500 when the registry fails', async () => {
    const registry = new Registry();
    registry.metrics = () => Promise.reject(new Error('collect failed'));
    const { url, lines } = await serve(() => [], registry);
    expect((await fetch(`${url}/metrics`)).status).toBe(500);
    expect(lines.some((line) => line.msg === 'ops endpoint failed')).toBe(true);
  });
});

describe('anything else', () => {
  it('is 404: other paths, and other methods on the two endpoints', async () => {
    const { url } = await serve(() => [shard({ id: 0 })]);
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/health'],
      ['GET', '/metrics/extra'],
      ['GET', '/healthz/'],
      ['POST', '/healthz'],
      ['DELETE', '/metrics'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.text()).toBe('not found\n');
    }
  });
});

describe('startOpsServer', () => {
  it('reports the port it listens on (port 0 picks a free one) and logs it', async () => {
    const { logger, lines } = createCaptureLogger();
    const server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      shards: () => [],
      registry: new Registry(),
      logger,
    });
    servers.push(server);
    expect(server.port).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'health and metrics listening', port: server.port }),
    );
  });

  it('rejects when the port is taken', async () => {
    const { url } = await serve(() => []);
    const port = Number(new URL(url).port);
    const { logger } = createCaptureLogger();
    await expect(
      startOpsServer({ port, host: '127.0.0.1', shards: () => [], registry: new Registry(), logger }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('close() ends open keep-alive connections, so it never waits on an idle client', async () => {
    const { logger } = createCaptureLogger();
    const server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      shards: () => [],
      registry: new Registry(),
      logger,
    });
    await fetch(`http://127.0.0.1:${server.port}/healthz`, { headers: { connection: 'keep-alive' } });
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });
});
