/**
 * Task ids are opaque (docs/video-api.md#task-ids): relays use `video_<hex>`, `task_<alnum>`, `sora-2:task_<ulid>`,
 * `sora-2-123456`… We accept every such form and refuse only what could not be one path segment, so an
 * id can never climb out of `/videos/{id}` or smuggle a query string.
 */
const TASK_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
export const MAX_TASK_ID_LENGTH = 200;

const WHAT_AN_ID_LOOKS_LIKE =
  'A task id is 1–200 letters, digits and . _ : - such as `video_68d7512d07848190b3e45da0ecbebcde` or `sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm`.';

export type TaskIdCheck = { ok: true; id: string } | { ok: false; reason: string };

/** Whether `id`, exactly as given (not trimmed), is a task id: the rule {@link checkTaskId} explains. */
export function isTaskId(id: string): boolean {
  return TASK_ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

export function checkTaskId(input: string): TaskIdCheck {
  // Pasted ids often carry a stray space or newline; nothing else is altered.
  const id = input.trim();
  if (id === '') return refuse('The task id is empty.');
  if (id.length > MAX_TASK_ID_LENGTH) return refuse(`The task id is ${id.length} characters long.`);
  if (id === '.' || id === '..') return refuse('`.` and `..` are not task ids.');
  if (!TASK_ID_PATTERN.test(id)) {
    const offending = [...id].find((char) => !/[A-Za-z0-9._:-]/.test(char)) ?? '';
    return refuse(`The task id contains ${describeCharacter(offending)}, which no task id has.`);
  }
  return { ok: true, id };
}

function refuse(problem: string): TaskIdCheck {
  return { ok: false, reason: `${problem} ${WHAT_AN_ID_LOOKS_LIKE}` };
}

function describeCharacter(char: string): string {
  if (/\s/.test(char)) return 'a space';
  // Printable ASCII is shown as is; anything else by code point so a message never carries odd glyphs.
  if (/^[\x21-\x7e]$/.test(char) && char !== '`') return `\`${char}\``;
  return `the character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
