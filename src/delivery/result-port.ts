import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { ResultContent } from './content.js';

/** The Discord side of delivery, as delivery sees it: upload limits, one result post, one DM. */

export type PostOutcome =
  | { kind: 'posted'; messageId: string }
  /** 413 / 40005: the file was refused; post again with a link. */
  | { kind: 'too_large' }
  | { kind: 'channel_lost' }
  | { kind: 'failed' };

export type DmOutcome =
  { kind: 'sent'; messageId: string } | { kind: 'closed' } | { kind: 'too_large' } | { kind: 'failed' };

/** The Discord side of delivery. */
export interface ResultPublisher {
  /** The most a file may weigh in this subscription's channel. */
  channelUploadLimit(subscription: SubscriptionRecord): number;
  /** The most a file may weigh in a DM. */
  readonly dmUploadLimit: number;
  /** Posts the result in the channel, replying to the progress message and mentioning the requester. */
  postResult(
    subscription: SubscriptionRecord,
    task: TaskRecord,
    content: ResultContent,
    nonce: string,
  ): Promise<PostOutcome>;
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
