import type { Logger } from '../ops/logger.js';
import { messageOf } from '../store/backends/index.js';
import { describeHolder, holderPrefix, termValue } from './holder-id.js';
import type { LeaseLoss, LeaseRedis, LeaseState } from './lease-types.js';

/** What a lease's rounds ask Redis with. */
export interface LeaseProtocol {
  redis: LeaseRedis;
  key: string;
  holderId: string;
  ttlMs: number;
  logger: Logger;
  /** How long to wait before trying again. */
  retryMs: number;
  renewMs: number;
}

/** The lease a round runs for: the state its answer is read against, and the changes it makes. */
export interface LeaseTransitions {
  readonly state: LeaseState;
  /** Took the lease with the command sent at `sentAt`, for the term whose lease value is `value`. */
  acquired(sentAt: number, value: string): void;
  /** Still holds it, now counted from `sentAt`. */
  renewed(sentAt: number): void;
  lose(reason: LeaseLoss): void;
  /** Runs the next round after `ms`. */
  schedule(ms: number): void;
}

export interface LeaseRounds {
  /** Who holds the lease while this one waits for it (host and pid), when known. */
  readonly holder: string | undefined;
  /** False while the last command could not reach Redis. */
  readonly reachable: boolean;
  /** One attempt to take the lease, while waiting for it. */
  acquire(sentAt: number): Promise<void>;
  /** One renewal, while holding it. */
  renew(sentAt: number): Promise<void>;
  /** Gives the lease back, if it is still ours. */
  release(): Promise<void>;
}

/**
 * The lease protocol, one round at a time: ask Redis, then read the answer against the state the lease
 * is in by the time it comes (it may have stepped down or stopped meanwhile). Says who holds the lease
 * (once per holder while waiting), and when Redis cannot be reached (once per outage).
 */
export function createLeaseRounds(protocol: LeaseProtocol, lease: LeaseTransitions): LeaseRounds {
  const { redis, key, holderId, ttlMs, logger } = protocol;
  const link = createLinkLog(logger, key);
  let holder: string | undefined;
  let loggedHolder: string | undefined;
  // A new term per attempt (docs/scaling.md#fencing); `current` is the term held or last held.
  let term = 0;
  let current: string | undefined;
  const lookUpHolder = async () => {
    const value = await redis.get(key).catch(() => undefined);
    holder = value === undefined ? undefined : describeHolder(value);
  };

  return {
    get holder() {
      return holder;
    },
    get reachable() {
      return link.reachable;
    },

    async acquire(sentAt) {
      try {
        const value = termValue(holderId, ++term);
        const answer = await redis.acquire(key, value, ttlMs, holderPrefix(holderId));
        link.ok();
        if (lease.state !== 'waiting') return;
        if (answer === 'acquired') {
          // A new wait, should this one end, says again who holds the lease.
          holder = loggedHolder = undefined;
          current = value;
          lease.acquired(sentAt, value);
          return;
        }
        await lookUpHolder();
        if (holder !== undefined && holder !== loggedHolder) {
          loggedHolder = holder;
          logger.info({ lease: key, holder }, 'shard is run by another process; waiting for its lease');
        }
      } catch (error) {
        link.failed(error);
      }
      if (lease.state === 'waiting') lease.schedule(protocol.retryMs);
    },

    async renew(sentAt) {
      try {
        const answer = await redis.renew(key, current ?? '', ttlMs);
        link.ok();
        if (lease.state !== 'held') {
          // Stepped down while the command was in flight: our own lease is released again.
          if (answer !== 'taken') await redis.release(key, current ?? '').catch(() => undefined);
          return;
        }
        if (answer === 'taken') {
          await lookUpHolder();
          logger.error({ lease: key, holder }, 'another process took the shard lease; stopping this shard');
          lease.lose('taken');
          lease.schedule(protocol.retryMs);
          return;
        }
        if (answer === 'reacquired') logger.warn({ lease: key }, 'shard lease was gone; acquired it again');
        lease.renewed(sentAt);
      } catch (error) {
        link.failed(error);
        // Keep trying until the holder's term says the lease may be gone.
        if (lease.state === 'held') lease.schedule(Math.min(protocol.retryMs, protocol.renewMs));
      }
    },

    async release() {
      try {
        if (current !== undefined && (await redis.release(key, current)))
          logger.info({ lease: key }, 'shard lease released');
      } catch (error) {
        logger.warn({ lease: key, err: messageOf(error) }, 'could not release the shard lease; it expires');
      }
    },
  };
}

/** Whether Redis answered the last command, logged once per outage and once when it ends. */
function createLinkLog(logger: Logger, key: string) {
  let unreachableLogged = false;
  return {
    get reachable() {
      return !unreachableLogged;
    },
    ok(): void {
      if (unreachableLogged) logger.info({ lease: key }, 'lease store reachable again');
      unreachableLogged = false;
    },
    failed(error: unknown): void {
      if (!unreachableLogged) logger.warn({ lease: key, err: messageOf(error) }, 'lease store unreachable');
      unreachableLogged = true;
    },
  };
}
