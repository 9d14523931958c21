import type { DmDelivery, SubscriptionRecord, TaskRecord } from '../store/index.js';
import { deliveryMode, withoutAttachment, type ResultContent } from './content.js';
import type { DmOutcome, PostOutcome } from './result-port.js';

/** What each answer from Discord (or from the download) means for the records, and what to try next. */

/** Fields of a subscription a post changes. */
export type SubscriptionChange = Pick<SubscriptionRecord, 'delivery'> &
  Partial<Pick<SubscriptionRecord, 'state'>>;

/** The content to send again after Discord refused one, or undefined when the refusal stands. */
export function contentAfterRefusal(
  task: TaskRecord,
  content: ResultContent,
  outcome: PostOutcome | DmOutcome,
  limit: number,
): ResultContent | undefined {
  return outcome.kind === 'too_large' ? withoutAttachment(task, content, limit) : undefined;
}

/**
 * What a result post changes on its subscription: posted (with how), or the channel lost for good.
 * Undefined for a failure worth retrying: the subscription stays pending with its nonce.
 */
export function subscriptionAfterPost(
  outcome: PostOutcome,
  content: ResultContent,
  nonce: string,
  now: number,
): SubscriptionChange | undefined {
  switch (outcome.kind) {
    case 'posted':
      return {
        delivery: {
          state: 'posted',
          nonce,
          resultMessageId: outcome.messageId,
          mode: deliveryMode(content),
          postedAt: now,
        },
      };
    // Forbidden once every lesser post was refused too (post-fallback.ts): the bot cannot post there.
    case 'forbidden':
    case 'channel_lost':
      return { state: 'channel_lost', delivery: { state: 'failed', nonce } };
    default:
      return undefined;
  }
}

/**
 * What a DM's outcome records: sent, or closed (the user does not accept DMs from the bot: never
 * retried). Undefined for a failure worth retrying.
 */
export function dmAfterSend(outcome: DmOutcome, dm: DmDelivery, now: number): DmDelivery | undefined {
  if (outcome.kind === 'sent') return { ...dm, state: 'sent', at: now, messageId: outcome.messageId };
  if (outcome.kind === 'closed') return { ...dm, state: 'closed', at: now };
  return undefined;
}
