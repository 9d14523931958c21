import { createHash } from 'node:crypto';
import { isTaskId } from '../domain/task-id.js';

/**
 * `custom_id`s of the progress message buttons: `sora1:<action>:<task>`, where `<task>` is the task id
 * itself when it fits Discord's 100 characters, else `#` and a short hash of it. The `sora1` prefix names
 * the format, so a later one can change it while old messages still decode (or are recognised as old).
 * Task ids never contain `#`, so the two forms cannot be confused.
 */

export const CUSTOM_ID_MAX_LENGTH = 100;
const FORMAT_PREFIX = 'sora1';

export const BUTTON_ACTIONS = ['refresh', 'notify', 'stop'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

const ACTION_CODES: Readonly<Record<ButtonAction, string>> = { refresh: 'r', notify: 'n', stop: 's' };
const ACTIONS_BY_CODE: ReadonlyMap<string, ButtonAction> = new Map(
  BUTTON_ACTIONS.map((action) => [ACTION_CODES[action], action]),
);

/** The task a button names: its id, or a hash the handler matches against the channel's tracked ids. */
export type ButtonTaskRef = { kind: 'id'; taskId: string } | { kind: 'hash'; hash: string };

export interface ButtonId {
  action: ButtonAction;
  task: ButtonTaskRef;
}

/** 12 bytes of SHA-256 in base64url: 96 bits, ample to tell apart the tasks of one channel. */
const HASH_BYTES = 12;
const HASH = /^[A-Za-z0-9_-]{16}$/;

/** The short stable hash standing for a task id too long to embed. */
export function taskIdHash(taskId: string): string {
  return createHash('sha256').update(taskId).digest().subarray(0, HASH_BYTES).toString('base64url');
}

export function encodeButtonId(action: ButtonAction, taskId: string): string {
  const head = `${FORMAT_PREFIX}:${ACTION_CODES[action]}:`;
  const embedded = head + taskId;
  return embedded.length <= CUSTOM_ID_MAX_LENGTH ? embedded : `${head}#${taskIdHash(taskId)}`;
}

/** The button a `custom_id` names, or undefined for anything this bot did not make (or made differently). */
export function decodeButtonId(customId: string): ButtonId | undefined {
  if (customId.length > CUSTOM_ID_MAX_LENGTH) return undefined;
  const [prefix, code, ...rest] = customId.split(':');
  if (prefix !== FORMAT_PREFIX || code === undefined) return undefined;
  const action = ACTIONS_BY_CODE.get(code);
  if (action === undefined) return undefined;
  // Task ids may contain `:` themselves: everything after the action is the task.
  const task = rest.join(':');
  if (task.startsWith('#')) {
    const hash = task.slice(1);
    return HASH.test(hash) ? { action, task: { kind: 'hash', hash } } : undefined;
  }
  return isTaskId(task) ? { action, task: { kind: 'id', taskId: task } } : undefined;
}

/** Whether a button's task reference names `taskId`. */
export function refersTo(ref: ButtonTaskRef, taskId: string): boolean {
  return ref.kind === 'id' ? ref.taskId === taskId : taskIdHash(taskId) === ref.hash;
}
