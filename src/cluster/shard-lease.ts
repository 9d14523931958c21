import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { newHolderId } from './holder-id.js';
import { createLeaseRounds, type LeaseTransitions } from './lease-rounds.js';
import { createHolderTerm, createTicker } from './lease-timers.js';
import type { LeaseFence, LeaseLoss, LeaseRedis, LeaseState } from './lease-types.js';

export { describeHolder, newHolderId } from './holder-id.js';

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

export type { LeaseFence, LeaseLoss, LeaseRedis, LeaseState } from './lease-types.js';

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
  /**
   * Called once each time the lease is acquired, with the term's fence: the app started for this term
   * writes only while the lease holds exactly this value.
   */
  onAcquired(fence: LeaseFence): void;
  /** Called once each time a held lease is lost: someone else holds it, or it would have expired. */
  onLost(reason: LeaseLoss): void;
}

export function leaseKey(namespace: string, shardId: number, shardCount: number): string {
  return `${namespace}:lease:shard:${shardId}:${shardCount}`;
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

/**
 * The lease's state machine: stopped → waiting (a round to acquire every `retryMs`) → held (a round to
 * renew every `renewMs`, a step-down when its term runs out) → waiting again when lost; the rounds
 * themselves are in lease-rounds.ts.
 */
export function createShardLease(options: ShardLeaseOptions): ShardLease {
  const { ttlMs, clock, logger } = options;
  const { renewMs, retryMs, stepDownMs } = leaseTimings(ttlMs);
  let state: LeaseState = 'stopped';

  const ticker = createTicker(clock, async () => {
    if (state === 'stopped') return;
    const sentAt = clock.now();
    await (state === 'waiting' ? rounds.acquire(sentAt) : rounds.renew(sentAt));
  });
  const term = createHolderTerm(clock, ttlMs - stepDownMs, () => {
    if (state !== 'held') return;
    logger.warn({ lease: options.key }, 'could not renew the shard lease in time; stepping down');
    transitions.lose('expired');
    ticker.schedule(retryMs);
  });

  const transitions: LeaseTransitions = {
    get state() {
      return state;
    },
    acquired(sentAt, value) {
      state = 'held';
      term.countFrom(sentAt);
      logger.info({ lease: options.key }, 'shard lease acquired');
      ticker.schedule(renewMs);
      options.onAcquired({ key: options.key, value });
    },
    renewed(sentAt) {
      term.countFrom(sentAt);
      ticker.schedule(renewMs);
    },
    lose(reason) {
      term.end();
      state = 'waiting';
      options.onLost(reason);
    },
    schedule: (ms) => ticker.schedule(ms),
  };
  const holderId = options.holderId ?? newHolderId();
  const protocol = { redis: options.redis, key: options.key, holderId, ttlMs, logger, retryMs, renewMs };
  const rounds = createLeaseRounds(protocol, transitions);

  return {
    get state() {
      return state;
    },
    get holder() {
      return rounds.holder;
    },
    get reachable() {
      return rounds.reachable;
    },
    start() {
      if (state !== 'stopped') return;
      state = 'waiting';
      ticker.schedule(0);
    },
    idle: () => ticker.idle(),
    async stop() {
      const wasHeld = state === 'held';
      state = 'stopped';
      ticker.cancel();
      term.end();
      await ticker.settled();
      if (wasHeld) await rounds.release();
    },
  };
}
