import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createPlainRedisClient } from '../store/backends/redis-client.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { messageOf } from '../store/backend.js';

/**
 * A shard's lease in Redis: whoever holds it is the one process that runs the shard (connects its
 * gateway, polls its tasks, delivers its results). Acquired with SET NX PX, renewed at a third of its
 * lifetime with a compare-and-set (a holder never extends someone else's lease), released with a
 * compare-and-delete. A process that dies loses it when it expires.
 *
 * The holder trusts its own clock, never Redis's: it counts the lease from the moment it sent the
 * command that set it, so its view ends before Redis's does. When it cannot renew (Redis down) it
 * keeps the shard until shortly before that end, then steps down, so it never runs a shard that
 * someone else may already have taken.
 */

/** The few Redis operations a lease needs; `createLeaseRedis` implements them with node-redis. */
export interface LeaseRedis {
  /**
   * Takes the lease if it is free (or already ours): 'acquired', or 'taken' when another value is
   * there. Atomic.
   */
  acquire(key: string, value: string, ttlMs: number): Promise<'acquired' | 'taken'>;
  /**
   * Extends the lease if it is still ours ('renewed'), takes it again if it is gone ('reacquired':
   * Redis lost it, or it expired during an outage), or leaves it alone ('taken'). Atomic.
   */
  renew(key: string, value: string, ttlMs: number): Promise<'renewed' | 'reacquired' | 'taken'>;
  /** Deletes the lease if it is still ours. Atomic. */
  release(key: string, value: string): Promise<boolean>;
  /** The current value, to say who holds it. */
  get(key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export type LeaseState = 'waiting' | 'held' | 'stopped';
export type LeaseLoss = 'taken' | 'expired';

export interface ShardLease {
  readonly state: LeaseState;
  /** Who holds the lease while this one waits for it (host and pid), when known. */
  readonly holder: string | undefined;
  /** False while the last command could not reach Redis. */
  readonly reachable: boolean;
  /** Starts trying to acquire; `onAcquired` / `onLost` are called on each change. */
  start(): void;
  /** Resolves when no Redis command of the lease is in flight (for tests driving a manual clock). */
  idle(): Promise<void>;
  /** Stops renewing or waiting and releases the lease if held. */
  stop(): Promise<void>;
}

export interface ShardLeaseOptions {
  redis: LeaseRedis;
  /** E.g. `sora-tracker:lease:shard:0:2`; see {@link leaseKey}. */
  key: string;
  ttlMs: number;
  clock: Clock;
  logger: Logger;
  /** Identifies this holder; default a random token with this host and pid. */
  holderId?: string;
  /** Called once each time the lease is acquired. */
  onAcquired(): void;
  /** Called once each time a held lease is lost: someone else holds it, or it would have expired. */
  onLost(reason: LeaseLoss): void;
}

export function leaseKey(namespace: string, shardId: number, shardCount: number): string {
  return `${namespace}:lease:shard:${shardId}:${shardCount}`;
}

export function newHolderId(): string {
  return `${randomBytes(8).toString('hex')} ${hostname()} pid ${process.pid}`;
}

/** The host and pid part of a holder id (the token stays private). */
export function describeHolder(value: string): string {
  return value.split(' ').slice(1).join(' ') || 'unknown holder';
}

/** How often a holder renews, and a waiter retries. */
export function leaseTimings(ttlMs: number): { renewMs: number; retryMs: number; stepDownMs: number } {
  return {
    renewMs: Math.max(1, Math.floor(ttlMs / 3)),
    retryMs: Math.max(100, Math.min(2_000, Math.floor(ttlMs / 3))),
    // Steps down this long before the lease would end by its own clock: time to stop work in flight.
    stepDownMs: Math.min(5_000, Math.floor(ttlMs / 6)),
  };
}

export function createShardLease(options: ShardLeaseOptions): ShardLease {
  const { redis, key, ttlMs, clock, logger } = options;
  const holderId = options.holderId ?? newHolderId();
  const { renewMs, retryMs, stepDownMs } = leaseTimings(ttlMs);

  let state: LeaseState = 'stopped';
  let holder: string | undefined;
  let loggedHolder: string | undefined;
  let unreachableLogged = false;
  /** By our clock, when the lease ends unless renewed. */
  let heldUntil = 0;
  let cancelTick: (() => void) | undefined;
  let cancelStepDown: (() => void) | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  function schedule(ms: number): void {
    cancelTick?.();
    cancelTick = clock.setTimeout(() => {
      cancelTick = undefined;
      inFlight = tick();
    }, ms);
  }

  function armStepDown(): void {
    cancelStepDown?.();
    cancelStepDown = clock.setTimeout(
      () => {
        cancelStepDown = undefined;
        if (state !== 'held') return;
        logger.warn({ lease: key }, 'could not renew the shard lease in time; stepping down');
        lose('expired');
        schedule(retryMs);
      },
      Math.max(0, heldUntil - stepDownMs - clock.now()),
    );
  }

  function lose(reason: LeaseLoss): void {
    cancelStepDown?.();
    cancelStepDown = undefined;
    state = 'waiting';
    loggedHolder = undefined;
    options.onLost(reason);
  }

  function reachable(): void {
    if (unreachableLogged) logger.info({ lease: key }, 'lease store reachable again');
    unreachableLogged = false;
  }

  function unreachable(error: unknown): void {
    if (!unreachableLogged) logger.warn({ lease: key, err: messageOf(error) }, 'lease store unreachable');
    unreachableLogged = true;
  }

  async function tick(): Promise<void> {
    if (state === 'stopped') return;
    const sentAt = clock.now();
    if (state === 'waiting') {
      try {
        const answer = await redis.acquire(key, holderId, ttlMs);
        reachable();
        if (state !== 'waiting') return;
        if (answer === 'acquired') {
          state = 'held';
          holder = undefined;
          heldUntil = sentAt + ttlMs;
          armStepDown();
          logger.info({ lease: key }, 'shard lease acquired');
          schedule(renewMs);
          options.onAcquired();
          return;
        }
        const current = await redis.get(key).catch(() => undefined);
        holder = current === undefined ? undefined : describeHolder(current);
        if (holder !== undefined && holder !== loggedHolder) {
          loggedHolder = holder;
          logger.info({ lease: key, holder }, 'shard is run by another process; waiting for its lease');
        }
      } catch (error) {
        unreachable(error);
      }
      if (state === 'waiting') schedule(retryMs);
      return;
    }
    // Held: renew.
    try {
      const answer = await redis.renew(key, holderId, ttlMs);
      reachable();
      if (state !== 'held') {
        // Stepped down while the command was in flight: our own lease is released again below.
        if (answer !== 'taken') await redis.release(key, holderId).catch(() => undefined);
        return;
      }
      if (answer === 'taken') {
        const current = await redis.get(key).catch(() => undefined);
        holder = current === undefined ? undefined : describeHolder(current);
        logger.error({ lease: key, holder }, 'another process took the shard lease; stopping this shard');
        lose('taken');
        schedule(retryMs);
        return;
      }
      if (answer === 'reacquired') logger.warn({ lease: key }, 'shard lease was gone; acquired it again');
      heldUntil = sentAt + ttlMs;
      armStepDown();
      schedule(renewMs);
    } catch (error) {
      unreachable(error);
      // Keep trying until the step-down timer says the lease may be gone.
      if (state === 'held') schedule(Math.min(retryMs, renewMs));
    }
  }

  return {
    get state() {
      return state;
    },
    get holder() {
      return holder;
    },
    get reachable() {
      return !unreachableLogged;
    },
    start() {
      if (state !== 'stopped') return;
      state = 'waiting';
      schedule(0);
    },
    async idle() {
      for (;;) {
        const current = inFlight;
        await current;
        if (current === inFlight) return;
      }
    },
    async stop() {
      const wasHeld = state === 'held';
      state = 'stopped';
      cancelTick?.();
      cancelStepDown?.();
      cancelTick = undefined;
      cancelStepDown = undefined;
      await inFlight.catch(() => undefined);
      if (!wasHeld) return;
      try {
        if (await redis.release(key, holderId)) logger.info({ lease: key }, 'shard lease released');
      } catch (error) {
        logger.warn({ lease: key, err: messageOf(error) }, 'could not release the shard lease; it expires');
      }
    },
  };
}

const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Lease operations on their own node-redis connection (the store's client is Keyv's). Commands fail
 * fast while disconnected, and never hang longer than `commandTimeoutMs`.
 */
export function createLeaseRedis(options: {
  url: string;
  logger: Logger;
  commandTimeoutMs?: number;
}): LeaseRedis {
  const timeoutMs = options.commandTimeoutMs ?? 2_000;
  const client = createPlainRedisClient(options.url, timeoutMs);
  // Reported by the lease (once per outage); without a listener node-redis would stop reconnecting.
  client.on('error', (error: unknown) => {
    options.logger.debug({ err: messageOf(error) }, 'lease connection error');
  });
  client.connect().catch(() => undefined);

  async function run<T>(command: () => Promise<T>): Promise<T> {
    if (!client.isReady) throw new Error('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer in time')), timeoutMs);
    });
    try {
      return await Promise.race([command(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  let closed = false;
  return {
    async acquire(key, value, ttlMs) {
      const answer = await run(() =>
        client.eval(ACQUIRE, { keys: [key], arguments: [value, String(ttlMs)] }),
      );
      return answer === 1 ? 'acquired' : 'taken';
    },
    async renew(key, value, ttlMs) {
      const answer = await run(() => client.eval(RENEW, { keys: [key], arguments: [value, String(ttlMs)] }));
      return answer === 1 ? 'renewed' : answer === 2 ? 'reacquired' : 'taken';
    },
    async release(key, value) {
      return (await run(() => client.eval(RELEASE, { keys: [key], arguments: [value] }))) === 1;
    },
    async get(key) {
      return (await run(() => client.get(key))) ?? undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (client.isReady) {
        await run(() => client.quit()).catch(() => undefined);
      }
      if (client.isOpen) await client.disconnect().catch(() => undefined);
    },
  };
}
