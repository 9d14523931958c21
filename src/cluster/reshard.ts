import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { openNamespaceRecords } from '../store/namespace-records.js';
import { transferNamespaces } from '../store/namespace-transfer.js';
import { openLayoutStore, type LayoutStore, type ShardLayout } from '../store/shard-layout.js';
import { holdShardLeases, reshardLeaseKey, takeLeases, type HeldLeases } from './reshard-leases.js';
import { leaseTimings, type LeaseRedis } from './shard-lease.js';
import { shardNamespaces, shardOfGuild } from './shard-ref.js';

/**
 * Keeps the tracked tasks with the SHARD_COUNT that runs them (docs/scaling.md#changing-shard_count).
 * Called at start, before any shard runs: when the store's layout record names another count, every
 * task of that count's namespaces is copied to this count's, the layout flips, and only then is the
 * old data deleted. Every step can be redone, so a crash anywhere is finished by the next start. With
 * Redis one process does it, holding the reshard lease and every shard lease of the old count; the
 * others wait until the layout names their count, or until they may move the data themselves.
 */
export interface ReshardOptions {
  url: string;
  namespace: string;
  shardCount: number;
  logger: Logger;
  clock: Clock;
  /** With a Redis store: the leases that keep the move to one process, and old shards stopped. */
  leases?: { redis: LeaseRedis; ttlMs: number } | undefined;
  /** Tests: called after each task is copied; a throw stops the move there (a crash). */
  afterTask?: (copied: number) => void;
}

export async function ensureShardLayout(options: ReshardOptions): Promise<void> {
  // A memory store starts empty with each process: there is nothing to move.
  if (options.url.startsWith('memory://')) return;
  const layouts = await openLayoutStore({
    url: options.url,
    namespace: options.namespace,
    logger: options.logger,
  });
  try {
    if (isSettled(await layouts.read(), options.shardCount)) return;
    if (options.leases) await underReshardLease(options, options.leases, layouts);
    else await reshard(options, layouts, undefined);
  } finally {
    await layouts.close();
  }
}

/**
 * Rejects when the layout no longer names this count: a process of the old count that waited for its
 * shard's lease while another moved the data must not run the shard (with leases; docs/scaling.md).
 */
export async function checkShardLayout(
  options: Pick<ReshardOptions, 'url' | 'namespace' | 'shardCount' | 'logger'>,
) {
  if (options.url.startsWith('memory://')) return;
  const layouts = await openLayoutStore(options);
  try {
    const layout = await layouts.read();
    if (layout !== undefined && layout.shardCount !== options.shardCount) {
      throw new Error(
        `the store now holds its tasks for SHARD_COUNT=${layout.shardCount}, not ${options.shardCount}: restart to follow it`,
      );
    }
  } finally {
    await layouts.close();
  }
}

/** Whether the layout names this count with nothing left to do. */
export function isSettled(layout: ShardLayout | undefined, shardCount: number): boolean {
  return layout?.shardCount === shardCount && layout.state === 'ready';
}

/** Takes the reshard lease and moves the data, unless another process settles the layout meanwhile. */
async function underReshardLease(
  options: ReshardOptions,
  leaseOptions: { redis: LeaseRedis; ttlMs: number },
  layouts: LayoutStore,
): Promise<void> {
  const { clock, logger } = options;
  const deps = { ...leaseOptions, clock, logger };
  const lease = takeLeases(deps, [reshardLeaseKey(options.namespace)]);
  let held = false;
  void lease.acquired.then(() => (held = true));
  let logged = false;
  try {
    for (;;) {
      if (held) {
        await reshard(options, layouts, lease);
        return;
      }
      const layout = await layouts.read();
      if (isSettled(layout, options.shardCount)) return;
      if (!logged) {
        logged = true;
        logger.info(
          { layout: layout?.shardCount, shardCount: options.shardCount },
          'the store is laid out for another SHARD_COUNT; waiting to move its tasks (or for another process to)',
        );
      }
      await clock.sleep(leaseTimings(leaseOptions.ttlMs).retryMs);
    }
  } finally {
    await lease.release();
  }
}

/** The move itself, by the one process allowed to (`guard`: its reshard lease, when there are leases). */
async function reshard(options: ReshardOptions, layouts: LayoutStore, guard: HeldLeases | undefined) {
  const { namespace, shardCount, logger } = options;
  let layout = await layouts.read();
  if (isSettled(layout, shardCount)) return;
  if (layout?.state === 'cleaning' && layout.previous !== undefined) {
    // The last move flipped the layout and stopped before deleting what it moved.
    await clearCount(options, layout.previous);
    layout = { shardCount: layout.shardCount, state: 'ready' };
    await layouts.write(layout);
  }
  const from = layout?.shardCount ?? (await detectCount(layouts, shardCount, logger));
  if (from === undefined || from === shardCount) {
    await layouts.write({ shardCount, state: 'ready' });
    return;
  }
  const old = options.leases
    ? await holdShardLeases({ ...options.leases, clock: options.clock, logger }, namespace, from)
    : undefined;
  try {
    const started = options.clock.now();
    const counts = await transferNamespaces({
      url: options.url,
      logger,
      clock: options.clock,
      from: shardNamespaces(namespace, from),
      to: shardNamespaces(namespace, shardCount),
      targetOf: (guildId) => shardOfGuild(guildId, shardCount),
      ...(options.afterTask ? { afterTask: options.afterTask } : {}),
    });
    guard?.check();
    old?.check();
    await layouts.write({ shardCount, previous: from, state: 'cleaning' });
    await clearCount(options, from);
    await layouts.write({ shardCount, state: 'ready' });
    const seconds = Math.round((options.clock.now() - started) / 100) / 10;
    logger.info(
      { from, to: shardCount, ...counts, seconds },
      'moved the tracked tasks to the new SHARD_COUNT',
    );
  } finally {
    await old?.release();
  }
}

async function clearCount(options: ReshardOptions, shardCount: number): Promise<void> {
  for (const namespace of shardNamespaces(options.namespace, shardCount)) {
    const records = await openNamespaceRecords({ url: options.url, namespace, logger: options.logger });
    await records.clear().finally(() => records.close());
  }
}

const TASK_KEY = /^(?:shard-(\d+)-of-(\d+):)?task:/;

/**
 * No layout record yet (a store from before it, or a new one): the count whose namespaces hold task
 * records, or the one changed last if several do (the others were left behind by an earlier change,
 * which abandoned them). Undefined when the store holds no task at all.
 */
async function detectCount(layouts: LayoutStore, shardCount: number, logger: Logger) {
  const byCount = new Map<number, string[]>();
  for (const key of await layouts.keys('')) {
    const match = TASK_KEY.exec(key);
    if (!match) continue;
    const count = match[2] === undefined ? 1 : Number(match[2]);
    if (!(count >= 1) || Number(match[1]) >= count) continue;
    byCount.set(count, [...(byCount.get(count) ?? []), key]);
  }
  if (byCount.size <= 1) return [...byCount.keys()][0];
  let latest: { count: number; at: number } | undefined;
  for (const [count, keys] of byCount) {
    let at = 0;
    for (let start = 0; start < keys.length; start += 200) {
      const stored = await layouts.getMany(keys.slice(start, start + 200));
      at = Math.max(at, ...stored.map(lastTouched));
    }
    if (!latest || at > latest.at || (at === latest.at && count === shardCount)) latest = { count, at };
  }
  logger.warn(
    { counts: [...byCount.keys()], chosen: latest?.count },
    'the store holds tasks of several SHARD_COUNTs and no layout record; keeping those changed last',
  );
  return latest?.count;
}

function lastTouched(stored: unknown): number {
  if (typeof stored !== 'object' || stored === null) return 0;
  const { lastChangeAt, lastPolledAt } = stored as { lastChangeAt?: unknown; lastPolledAt?: unknown };
  return Math.max(
    typeof lastChangeAt === 'number' ? lastChangeAt : 0,
    typeof lastPolledAt === 'number' ? lastPolledAt : 0,
  );
}
