import type { Translator } from '../../../i18n/index.js';
import { discordTimestamp, inlineCode, userMention, type ButtonAction } from '../../../render/index.js';
import type { NotifyResult, RefreshResult, Tracker } from '../../../tracking/tracker.js';

/**
 * What each button of the progress message does, and what the presser is told. Each action gets a task
 * that is tracked in the channel (or was, a moment ago) and returns the presser's answer.
 */

/** Task ids in answers: enough to recognise. */
const TASK_ID_BUDGET = 200;

export interface ButtonPress {
  taskId: string;
  channelId: string;
  userId: string;
  /** Whether the presser may manage messages in the channel, and so stop someone else's tracking. */
  canManageMessages(): boolean;
}

export type ButtonActionHandler = (tracker: Tracker, tr: Translator, press: ButtonPress) => Promise<string>;

export function refreshAnswer(tr: Translator, result: RefreshResult): string {
  switch (result.kind) {
    case 'refreshed':
      // No outcome: the poll failed (API down, rate limited); the schedule keeps trying by itself.
      return tr(result.outcome === undefined ? 'button.refreshFailed' : 'button.refreshed');
    case 'too_soon':
      // Rounded up, so the time shown is never before a press would be accepted.
      return tr('button.refreshTooSoon', {
        time: discordTimestamp(Math.ceil(result.retryAt / 1000) * 1000),
      });
    case 'not_tracked':
      return tr('button.notTracked');
  }
}

export function notifyAnswer(tr: Translator, result: NotifyResult): string {
  switch (result.kind) {
    case 'on':
      return tr('button.notifyOn');
    case 'off':
      return tr('button.notifyOff');
    case 'not_tracked':
      return tr('button.notTracked');
  }
}

/** ⏹️: only the requester, or someone who may manage messages here, stops the tracking. */
async function stop(tracker: Tracker, tr: Translator, press: ButtonPress): Promise<string> {
  const { taskId, channelId, userId } = press;
  const subscription = await tracker.subscription(taskId, channelId);
  if (!subscription) return tr('button.notTracked');
  const allowed = userId === subscription.requesterId || press.canManageMessages();
  if (!allowed) return tr('button.stopRefused', { user: userMention(subscription.requesterId) });
  const result = await tracker.untrack(taskId, channelId, userId);
  if (result.kind !== 'untracked') return tr('button.notTracked');
  return tr('button.stopped', { taskId: inlineCode(taskId, TASK_ID_BUDGET) });
}

export const BUTTON_ACTION_HANDLERS: Readonly<Record<ButtonAction, ButtonActionHandler>> = {
  refresh: async (tracker, tr, { taskId, channelId }) =>
    refreshAnswer(tr, await tracker.refresh(taskId, channelId)),
  notify: async (tracker, tr, { taskId, channelId, userId }) =>
    notifyAnswer(tr, await tracker.setNotify(taskId, channelId, userId)),
  stop,
};
