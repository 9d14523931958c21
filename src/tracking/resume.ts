import type { TaskRecord } from '../store/index.js';
import type { TrackerContext } from './context.js';
import { finishEnding } from './ending.js';
import { isUnposted } from './rules.js';
import { postMissingMessages } from './subscriptions.js';
import type { PollQueue } from './types.js';

/**
 * After a start: every task of the active index goes back on the schedule, and what a crash left
 * half done (a progress message not posted, an ended task not yet delivered) is finished.
 */

/** Tasks read from the store at once when resuming. */
export const RESUME_BATCH = 200;

/** Half-done tasks finished at once when resuming. */
export const RESUME_CONCURRENCY = 8;

export async function resume(
  ctx: TrackerContext,
  queue: PollQueue,
): Promise<{ resumed: number; finished: number }> {
  ctx.queue = queue;
  const counts = { resumed: 0, finished: 0 };
  const schedule = (task: TaskRecord) => {
    const now = ctx.clock.now();
    const dueAt = ctx.firstPollAt?.(task, now) ?? now + Math.floor(ctx.random() * ctx.limits.resumeSpreadMs);
    queue.schedule(task.id, { dueAt });
    counts.resumed += 1;
  };
  // Running tasks are only put back on the schedule, at once. Messages to re-create and ended tasks to
  // finish wait on Discord (its pacing, result uploads), so they come after and never hold up the
  // polling of the others: the scheduler runs while this goes on.
  const slow: TaskRecord[] = [];
  const ids = await ctx.store.activeTaskIds();
  // Read in batches, not record by record: 10,000 tasks cost a few dozen round trips to the store.
  for (let start = 0; start < ids.length; start += RESUME_BATCH) {
    for (const task of await loadBatch(ctx, ids.slice(start, start + RESUME_BATCH))) {
      if (task.halfDone) slow.push(task.record);
      else schedule(task.record);
    }
  }
  // Several at once: each waits mostly on Discord, whose pacing (results first) keeps the burst in budget.
  await eachAtMost(RESUME_CONCURRENCY, slow, async (task) => {
    const outcome = await finishHalfDone(ctx, task);
    if (outcome === 'running') schedule(task);
    else if (outcome === 'finished') counts.finished += 1;
    else if (outcome === 'delivering')
      queue.schedule(task.id, { dueAt: ctx.clock.now() + ctx.limits.resumeSpreadMs });
  });
  ctx.logger.info(counts, 'tracking resumed');
  return counts;
}

/**
 * The batch's tasks, each marked when a crash left it half done: ended, or with a message whose create
 * may not have completed. Ids without a record leave the active index.
 */
async function loadBatch(
  ctx: TrackerContext,
  ids: string[],
): Promise<{ record: TaskRecord; halfDone: boolean }[]> {
  const tasks = await ctx.store.getTasks(ids);
  const subscriptions = await Promise.all(
    ids.map((id) => (tasks.has(id) ? ctx.store.subscriptionsOf(id) : Promise.resolve([]))),
  );
  const loaded: { record: TaskRecord; halfDone: boolean }[] = [];
  for (const [index, id] of ids.entries()) {
    const task = tasks.get(id);
    if (!task) {
      await ctx.store.setActive(id, false);
      continue;
    }
    const unposted = (subscriptions[index] ?? []).some((sub) => isUnposted(sub, task));
    loaded.push({ record: task, halfDone: task.state === 'ended' || unposted });
  }
  return loaded;
}

/**
 * Posts the missing messages of a half-done task and, if it ended, delivers it. Under the task's lock
 * and read again: a /sora track (or the poll it scheduled) may have posted the message, or delivered
 * and finished the task, while this waited its turn.
 */
async function finishHalfDone(
  ctx: TrackerContext,
  task: TaskRecord,
): Promise<'gone' | 'running' | 'finished' | 'delivering'> {
  return ctx.locks.run(task.id, async () => {
    const latest = await ctx.store.getTask(task.id);
    if (!latest) {
      await ctx.store.setActive(task.id, false);
      return 'gone';
    }
    // The nonce makes a second create return the message the first one posted.
    await postMissingMessages(ctx, latest);
    if (latest.state !== 'ended') return 'running';
    if (!(await ctx.store.isActive(task.id))) return 'finished';
    return (await finishEnding(ctx, latest)) ? 'finished' : 'delivering';
  });
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachAtMost<T>(limit: number, items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
