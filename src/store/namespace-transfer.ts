import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { openNamespaceRecords } from './namespace-records.js';
import type { DmDelivery, SubscriptionRecord, TaskRecord } from './records.js';
import type { TrackingStore } from './store-port.js';
import { createTrackingStore } from './tracking-store.js';

/**
 * Moves every task of some namespaces into others (a SHARD_COUNT change, src/cluster/reshard.ts): each
 * task record, each subscription (to the namespace its guild now belongs to) and the active index with
 * its owners, through the TrackingStore API. The targets are cleared first and every record is
 * written whole, so running it again after a crash gives the same result. The sources are only read.
 */
export interface TransferOptions {
  url: string;
  logger: Logger;
  clock?: Clock;
  from: readonly string[];
  /** The target namespaces: a subscription goes to `to[targetOf(its guildId)]`. */
  to: readonly string[];
  targetOf: (guildId: string | undefined) => number;
  /** Tests: called after each task is written; a throw stops the transfer there. */
  afterTask?: ((written: number) => void) | undefined;
}

export interface TransferCounts {
  tasks: number;
  subscriptions: number;
}

/** One task as one source namespace holds it. */
interface TaskPart {
  source: TrackingStore;
  task: TaskRecord;
  subscriptions: SubscriptionRecord[];
  active: boolean;
}

export async function transferNamespaces(options: TransferOptions): Promise<TransferCounts> {
  const { url, logger } = options;
  // Every task id with the sources holding it: a task in two old namespaces lands merged.
  const holders = new Map<string, number[]>();
  for (const [index, namespace] of options.from.entries()) {
    const records = await openNamespaceRecords({ url, namespace, logger });
    try {
      for (const id of await records.taskIds()) holders.set(id, [...(holders.get(id) ?? []), index]);
    } finally {
      await records.close();
    }
  }
  for (const namespace of options.to) {
    const records = await openNamespaceRecords({ url, namespace, logger });
    await records.clear().finally(() => records.close());
  }

  const open = (namespace: string) =>
    createTrackingStore({ url, logger, namespace, maxCachedRecords: 0, ...clockOf(options) });
  const sources: TrackingStore[] = [];
  const targets: TrackingStore[] = [];
  try {
    for (const namespace of options.from) sources.push(await open(namespace));
    for (const namespace of options.to) targets.push(await open(namespace));
    const counts: TransferCounts = { tasks: 0, subscriptions: 0 };
    for (const [taskId, held] of holders) {
      const parts = await readParts(
        taskId,
        held.map((index) => sources[index]!),
      );
      if (parts.length === 0) continue;
      counts.subscriptions += await writeTask(taskId, parts, targets, options.targetOf);
      counts.tasks += 1;
      options.afterTask?.(counts.tasks);
    }
    return counts;
  } finally {
    await Promise.all([...sources, ...targets].map((store) => store.close()));
  }
}

const clockOf = (options: TransferOptions) => (options.clock ? { clock: options.clock } : {});

async function readParts(taskId: string, sources: readonly TrackingStore[]): Promise<TaskPart[]> {
  const parts: TaskPart[] = [];
  for (const source of sources) {
    const task = await source.getTask(taskId);
    if (!task) continue;
    const subscriptions = await source.subscriptionsOf(taskId);
    parts.push({ source, task, subscriptions, active: await source.isActive(taskId) });
  }
  return parts;
}

/** Writes one task into every target that has one of its subscriptions; resolves with how many. */
async function writeTask(
  taskId: string,
  parts: readonly TaskPart[],
  targets: readonly TrackingStore[],
  targetOf: (guildId: string | undefined) => number,
): Promise<number> {
  const byTarget = new Map<number, { sub: SubscriptionRecord; part: TaskPart }[]>();
  for (const part of parts) {
    for (const sub of part.subscriptions) {
      const target = targetOf(sub.guildId);
      byTarget.set(target, [...(byTarget.get(target) ?? []), { sub, part }]);
    }
  }
  const owners = await ownersOf(taskId, parts);
  // A task without subscriptions follows the guild it counts against (or goes where DMs go).
  if (byTarget.size === 0) byTarget.set(targetOf(owners.guildIds[0]), []);

  let written = 0;
  for (const [target, subs] of byTarget) {
    const store = targets[target]!;
    const channelIds = new Set(subs.map(({ sub }) => sub.channelId));
    await store.putTask(mergedTask(parts, subs.length === 0 ? undefined : channelIds));
    for (const { sub, part } of subs) {
      await store.putSubscription(sub);
      // A finished task left its channel's list (/sora list) but is still known there: keep it so.
      if (!(await part.source.channelTaskIds(sub.channelId)).includes(taskId)) {
        await store.unlistSubscription(taskId, sub.channelId);
      }
      written += 1;
    }
    if (parts.some((part) => part.active)) {
      const requesters = new Set(subs.map(({ sub }) => sub.requesterId));
      const guilds = owners.guildIds.filter((guildId) => targetOf(guildId) === target);
      // Users are counted where they tracked it; one no subscription names counts everywhere.
      const users = owners.userIds.filter(
        (userId) => requesters.has(userId) || !owners.requesters.has(userId),
      );
      await store.setActive(taskId, true);
      for (const userId of users) await store.setActive(taskId, true, { userId });
      for (const guildId of guilds) await store.setActive(taskId, true, { guildId });
    }
  }
  return written;
}

async function ownersOf(taskId: string, parts: readonly TaskPart[]) {
  const userIds = new Set<string>();
  const guildIds = new Set<string>();
  for (const part of parts) {
    if (!part.active) continue;
    const owners = await part.source.activeOwners(taskId);
    owners.userIds.forEach((id) => userIds.add(id));
    owners.guildIds.forEach((id) => guildIds.add(id));
  }
  const requesters = new Set(parts.flatMap((part) => part.subscriptions.map((sub) => sub.requesterId)));
  return { userIds: [...userIds], guildIds: [...guildIds], requesters };
}

/**
 * The task as one target keeps it: the newest record (last poll, else last change) with the channels
 * of this target, and every DM any copy sent, so nobody is sent one twice.
 */
export function mergedTask(
  parts: readonly { task: TaskRecord }[],
  channels: ReadonlySet<string> | undefined,
) {
  const newest = (task: TaskRecord) => task.lastPolledAt ?? task.lastChangeAt;
  const base = parts
    .map((part) => part.task)
    .reduce((best, task) => (newest(task) > newest(best) ? task : best));
  const channelIds = [...new Set(parts.flatMap((part) => part.task.channelIds))].filter(
    (id) => channels === undefined || channels.has(id),
  );
  const dms: Record<string, DmDelivery> = {};
  for (const { task } of parts) {
    for (const [userId, dm] of Object.entries(task.delivery?.dms ?? {})) {
      const known = dms[userId];
      if (known === undefined || (known.state === 'pending' && dm.state !== 'pending')) dms[userId] = dm;
    }
  }
  const merged: TaskRecord = { ...base, channelIds };
  if (Object.keys(dms).length > 0) merged.delivery = { ...base.delivery, dms };
  return merged;
}
