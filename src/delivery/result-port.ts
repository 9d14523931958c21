import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { ResultContent } from './content.js';

/** The Discord side of delivery, as delivery sees it: upload limits, one result post, one DM. */

export type PostOutcome =
  | { kind: 'posted'; messageId: string }
  /** 413 / 40005: the file was refused; post again with a link. */
  | { kind: 'too_large' }
  /**
   * 403: a permission the post needs is missing. `reply` (160002): Read Message History, for the reply;
   * `unknown` (50013): Discord does not say which (Send Messages, Attach Files, Embed Links…).
   */
  | { kind: 'forbidden'; missing: 'reply' | 'unknown' }
  | { kind: 'channel_lost' }
  | { kind: 'failed' };

export type DmOutcome =
  { kind: 'sent'; messageId: string } | { kind: 'closed' } | { kind: 'too_large' } | { kind: 'failed' };

/** What a channel lets the bot add to a post beyond plain text, as far as it knows. */
export interface PostAllowance {
  /** Attach Files: an upload without it is refused (403 50013). */
  attachFiles: boolean;
  /** Read Message History: a reply without it is refused (403 160002). */
  reply: boolean;
}

/** The Discord side of delivery. */
export interface ResultPublisher {
  /** The most a file may weigh in this subscription's channel. */
  channelUploadLimit(subscription: SubscriptionRecord): number;
  /** The most a file may weigh in a DM. */
  readonly dmUploadLimit: number;
  /** What the channel allows, from what the bot already knows; undefined when it does not know. */
  postAllowance?(subscription: SubscriptionRecord): PostAllowance | undefined;
  /**
   * Posts the result in the channel, mentioning the requester and, unless `reply` is false, replying
   * to the progress message.
   */
  postResult(
    subscription: SubscriptionRecord,
    task: TaskRecord,
    content: ResultContent,
    nonce: string,
    options?: { reply: boolean },
  ): Promise<PostOutcome>;
  /**
   * A result an earlier try already posted in the subscription's channel (its message id), looked for
   * before posting again: Discord forgets a nonce after a few minutes. Undefined when none is found.
   */
  findPostedResult?(subscription: SubscriptionRecord, task: TaskRecord): Promise<string | undefined>;
  /** Likewise, a DM about the task an earlier try already sent the user. */
  findSentDm?(userId: string, task: TaskRecord): Promise<string | undefined>;
  /** DMs one user about the task's end, with a link to the channel's result when there is one. */
  sendDm(
    userId: string,
    locale: string,
    subscription: SubscriptionRecord,
    task: TaskRecord,
    content: ResultContent,
    nonce: string,
  ): Promise<DmOutcome>;
}

/** The limits a plan needs; reading them sends nothing. */
export type UploadLimits = Pick<ResultPublisher, 'channelUploadLimit' | 'dmUploadLimit'>;
