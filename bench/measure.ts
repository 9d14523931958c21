/**
 * What people saw, read back from the local Discord's message history, against what the relay showed
 * and when. A change counts as visible once the progress message shows that state or a later one, so a
 * change skipped in favour of a newer one is charged until the newer one appears.
 */
import type { FakeDiscord, FakeMessage, MessageVersion } from '../testkit/fake-discord/index.js';
import { stateRank, terminalTick, visibleChanges, type TaskPlan } from './workload.js';

/** The state a progress message version shows, on the scale of {@link stateRank}; -1 if unreadable. */
export function shownRank(version: MessageVersion): number {
  const embed = version.embeds[0];
  const title = typeof embed?.title === 'string' ? embed.title : '';
  const description = typeof embed?.description === 'string' ? embed.description : '';
  if (/Completed|Failed/.test(title)) return stateRank('completed', 100);
  if (/In progress/.test(title)) {
    const percent = /(\d+)%/.exec(description);
    return stateRank('in_progress', percent ? Number(percent[1]) : 0);
  }
  if (/Queued/.test(title)) return stateRank('queued', 0);
  return stateRank('unknown', 0);
}

export interface TaskView {
  progress: FakeMessage | undefined;
  /** The reply that delivers the result. */
  result: FakeMessage | undefined;
}

/** Each task's progress message and result reply, found by the progress message's id. */
export function viewsOf(
  discord: FakeDiscord,
  channelIds: readonly string[],
  progressMessageIds: ReadonlyMap<string, string>,
): Map<string, TaskView> {
  const taskByMessage = new Map<string, string>();
  for (const [taskId, messageId] of progressMessageIds) taskByMessage.set(messageId, taskId);
  const views = new Map<string, TaskView>();
  for (const taskId of progressMessageIds.keys())
    views.set(taskId, { progress: undefined, result: undefined });
  for (const channelId of channelIds) {
    for (const message of discord.messages.inChannel(channelId)) {
      const ownTask = taskByMessage.get(message.id);
      if (ownTask !== undefined) {
        views.get(ownTask)!.progress = message;
        continue;
      }
      const repliedTo = message.versions[0]?.messageReference?.message_id;
      const task = repliedTo === undefined ? undefined : taskByMessage.get(repliedTo);
      if (task !== undefined) views.get(task)!.result ??= message;
    }
  }
  return views;
}

/** True once the task's result is posted and its progress message shows the end. */
export function isFinished(view: TaskView | undefined): boolean {
  if (!view?.progress || !view.result) return false;
  return shownRank(view.progress.current) === stateRank('completed', 100);
}

export interface Latencies {
  /** Upstream change → visible, ms; Infinity when never shown during the run. */
  changeToVisible: number[];
  /** Upstream completion (or failure) → result reply, ms; Infinity when never posted. */
  completionToResult: number[];
  /** Changes people could see, per task. */
  visibleChanges: number;
}

export function latencies(tasks: readonly TaskPlan[], views: ReadonlyMap<string, TaskView>): Latencies {
  const changeToVisible: number[] = [];
  const completionToResult: number[] = [];
  let changes = 0;
  for (const task of tasks) {
    const view = views.get(task.id);
    const versions = view?.progress?.versions.slice(1) ?? [];
    for (const change of visibleChanges(task)) {
      changes += 1;
      const rank = stateRank(change.status, change.progress);
      const shown = versions.find((version) => version.at >= change.at && shownRank(version) >= rank);
      changeToVisible.push(shown === undefined ? Infinity : shown.at - change.at);
    }
    const end = terminalTick(task);
    const posted = view?.result?.versions[0]?.at;
    completionToResult.push(posted === undefined ? Infinity : Math.max(0, posted - end.at));
  }
  return { changeToVisible, completionToResult, visibleChanges: changes };
}

/** Nearest-rank percentile; Infinity when the rank falls on a value never observed. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
