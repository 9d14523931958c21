import type { TaskRecord } from '../store/index.js';
import { withoutAttachPermission, withoutAttachment, type ResultContent } from './content.js';
import type { PostAllowance, PostOutcome } from './result-port.js';

/**
 * The shape of a channel's result post, and the lesser shape to try when Discord refuses one. A channel
 * that lacks Attach Files or Read Message History still gets its result: the link instead of the file,
 * a plain message instead of a reply (docs/discord-limits.md#install-and-permissions). Only a refusal of
 * the plainest post means the bot cannot post there at all.
 */

/** One result post: what it carries, and whether it replies to the progress message. */
export interface ResultPost {
  content: ResultContent;
  reply: boolean;
}

/** The post to send first, fitted to what the channel is known to allow (everything, when unknown). */
export function firstPost(
  task: TaskRecord,
  content: ResultContent,
  allowance: PostAllowance | undefined,
): ResultPost {
  return {
    content: allowance?.attachFiles === false ? withoutAttachPermission(task, content) : content,
    reply: allowance?.reply !== false,
  };
}

/**
 * The next-lesser post after Discord refused `post`, or undefined when the refusal stands: a file too
 * large becomes its link; a missing permission drops the file first (50013 does not say which permission
 * is missing), then the reply; a refused reply (160002) drops only the reply.
 */
export function postAfterRefusal(
  task: TaskRecord,
  post: ResultPost,
  outcome: PostOutcome,
  limit: number,
): ResultPost | undefined {
  const attached = post.content.kind === 'attached';
  if (outcome.kind === 'too_large')
    return attached ? { ...post, content: withoutAttachment(task, post.content, limit) } : undefined;
  if (outcome.kind !== 'forbidden') return undefined;
  if (attached && outcome.missing === 'unknown')
    return { ...post, content: withoutAttachPermission(task, post.content) };
  return post.reply ? { ...post, reply: false } : undefined;
}
