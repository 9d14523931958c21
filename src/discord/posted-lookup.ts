/**
 * Finding a result already posted, among the bot's recent messages. Discord remembers a nonce for a
 * few minutes only (docs/discord-limits.md), so a post redone later must look for its first message.
 */

/** A message the bot itself wrote, as much of it as the match needs. */
export interface OwnMessage {
  id: string;
  content: string;
  /** The message it replies to (`message_reference.message_id`). */
  replyToId?: string | undefined;
}

/**
 * The channel's result for a task: the bot's reply to the progress message, or its message naming the
 * task (a result posted without the reply). The oldest wins: it is the one the first try posted.
 */
export function findPostedResult(
  messages: readonly OwnMessage[],
  task: { taskId: string; progressMessageId?: string | undefined },
): OwnMessage | undefined {
  const matches = messages.filter(
    (m) =>
      (task.progressMessageId !== undefined && m.replyToId === task.progressMessageId) ||
      namesTask(m.content, task.taskId),
  );
  return oldest(matches);
}

/** The DM about a task: the bot's message in the user's DM channel naming it. */
export function findSentDm(messages: readonly OwnMessage[], taskId: string): OwnMessage | undefined {
  return oldest(messages.filter((m) => namesTask(m.content, taskId)));
}

/** The task id as the result and the DM show it, in code: `task_1` is not named by `task_12`. */
function namesTask(content: string, taskId: string): boolean {
  return content.includes(`\`${taskId}\``);
}

function oldest(messages: readonly OwnMessage[]): OwnMessage | undefined {
  return [...messages].sort((a, b) => compareSnowflakes(a.id, b.id))[0];
}

function compareSnowflakes(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
