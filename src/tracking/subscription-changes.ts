import type { SubscriptionRecord } from '../store/index.js';

/**
 * Changes to one subscription, as pure functions of the record as stored now: each is applied through
 * `store.updateSubscription`, so it lands on the latest record and keeps every other writer's fields
 * (the 🔔 list, the delivery state, the hash of what the message shows).
 */

/** The record with `userId` on (or off) its DM list; the same record when nothing changes. */
export function withNotify(sub: SubscriptionRecord, userId: string, on: boolean): SubscriptionRecord {
  if (sub.notifyUserIds.includes(userId) === on) return sub;
  const notifyUserIds = on ? [...sub.notifyUserIds, userId] : sub.notifyUserIds.filter((id) => id !== userId);
  return { ...sub, notifyUserIds };
}

/**
 * What the message now shows, recorded only while the record still points at the message that was
 * edited (not once the channel was dropped, or tracked again with another message).
 */
export function withRenderedHash(
  current: SubscriptionRecord | undefined,
  messageId: string,
  hash: string,
): SubscriptionRecord | undefined {
  if (current?.messageId !== messageId || current.lastRenderedHash === hash) return undefined;
  return { ...current, lastRenderedHash: hash };
}
