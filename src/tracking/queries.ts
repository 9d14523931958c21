import { checkTaskId } from '../domain/task-id.js';
import type { TrackerContext } from './context.js';
import type { ChannelEntry, Tracker } from './types.js';

/** Readings for `/sora status` and `/sora list`: nothing is written. */

export async function snapshot(ctx: TrackerContext, taskId: string): ReturnType<Tracker['snapshot']> {
  const checked = checkTaskId(taskId);
  if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
  const known = await ctx.store.getTask(checked.id);
  return { kind: 'ok', snapshot: await ctx.videoApi.getVideo(checked.id, { previous: known?.snapshot }) };
}

/** The tasks a channel follows, with their latest records. */
export async function listChannel(ctx: TrackerContext, channelId: string): Promise<ChannelEntry[]> {
  const ids = await ctx.store.channelTaskIds(channelId);
  const entries = await Promise.all(
    ids.map(async (id): Promise<ChannelEntry | undefined> => {
      const subscription = await ctx.store.getSubscription(id, channelId);
      if (!subscription || subscription.state !== 'active') return undefined;
      return { subscription, task: await ctx.store.getTask(id) };
    }),
  );
  return entries.filter((entry): entry is ChannelEntry => entry !== undefined);
}
