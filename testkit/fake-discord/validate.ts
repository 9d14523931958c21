/**
 * Payload validation with Discord's 400 / 50035 "Invalid Form Body" answer, whose `errors` tree mirrors
 * the payload: `{ embeds: { 0: { title: { _errors: [{ code, message }] } } } }`.
 */
import { ButtonStyle, ComponentType, ErrorCode, Limits, MessageFlag } from './constants.js';
import { DiscordError } from './errors.js';

type Path = readonly (string | number)[];
interface Problem {
  path: Path;
  code: string;
  message: string;
}

export type JsonObject = Record<string, unknown>;

/** A JSON value read as text: strings as they are, numbers (ids sent as numbers) as digits, else ''. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooLong(path: Path, max: number): Problem {
  return { path, code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
}

function badLength(path: Path, min: number, max: number): Problem {
  return { path, code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between ${min} and ${max} in length.` };
}

function required(path: Path): Problem {
  return { path, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' };
}

/** Discord counts embed text after trimming whitespace. */
function textLength(value: unknown): number {
  return typeof value === 'string' ? [...value.trim()].length : 0;
}

function checkEmbeds(embeds: unknown, at: Path, problems: Problem[]) {
  if (!Array.isArray(embeds)) return;
  if (embeds.length > Limits.embedsPerMessage) problems.push(tooLong(at, Limits.embedsPerMessage));
  let total = 0;
  embeds.forEach((embed: unknown, i) => {
    if (!isObject(embed)) return;
    const here = [...at, i];
    const limit = (field: string, value: unknown, max: number, path: Path = [...here, field]) => {
      const length = textLength(value);
      total += length;
      if (length > max) problems.push(tooLong(path, max));
    };
    limit('title', embed.title, Limits.embedTitle);
    limit('description', embed.description, Limits.embedDescription);
    if (isObject(embed.footer))
      limit('text', embed.footer.text, Limits.embedFooterText, [...here, 'footer', 'text']);
    if (isObject(embed.author))
      limit('name', embed.author.name, Limits.embedAuthorName, [...here, 'author', 'name']);
    if (Array.isArray(embed.fields)) {
      if (embed.fields.length > Limits.embedFields)
        problems.push(tooLong([...here, 'fields'], Limits.embedFields));
      embed.fields.forEach((field: unknown, j) => {
        if (!isObject(field)) return;
        const fieldPath = [...here, 'fields', j];
        if (typeof field.name !== 'string') problems.push(required([...fieldPath, 'name']));
        if (typeof field.value !== 'string') problems.push(required([...fieldPath, 'value']));
        limit('name', field.name, Limits.embedFieldName, [...fieldPath, 'name']);
        limit('value', field.value, Limits.embedFieldValue, [...fieldPath, 'value']);
      });
    }
  });
  if (total > Limits.embedTotalCharacters) {
    problems.push({
      path: at,
      code: 'MAX_EMBED_SIZE_EXCEEDED',
      message: `Embed size exceeds maximum size of ${Limits.embedTotalCharacters}`,
    });
  }
}

function checkCustomId(component: JsonObject, at: Path, problems: Problem[]) {
  const id = component.custom_id;
  if (typeof id !== 'string') problems.push(required([...at, 'custom_id']));
  else if (id.length < 1 || id.length > Limits.customIdLength)
    problems.push(badLength([...at, 'custom_id'], 1, Limits.customIdLength));
}

function checkComponents(components: unknown, flags: number, at: Path, problems: Problem[]) {
  // Components V2 layouts (up to 40 components, nested containers) are not modelled.
  if (!Array.isArray(components) || flags & MessageFlag.IsComponentsV2) return;
  if (components.length > Limits.actionRows) problems.push(badLength(at, 1, Limits.actionRows));
  components.forEach((row: unknown, i) => {
    if (!isObject(row) || row.type !== ComponentType.ActionRow || !Array.isArray(row.components)) {
      problems.push({
        path: [...at, i],
        code: 'UNION_TYPE_CHOICES',
        message: 'Value of field "type" must be one of (1,).',
      });
      return;
    }
    const rowPath = [...at, i, 'components'];
    if (row.components.length < 1 || row.components.length > Limits.componentsPerRow)
      problems.push(badLength(rowPath, 1, Limits.componentsPerRow));
    row.components.forEach((component: unknown, j) => {
      if (!isObject(component)) return;
      const here = [...rowPath, j];
      if (component.type === ComponentType.Button) {
        if (typeof component.label === 'string' && component.label.length > Limits.buttonLabel)
          problems.push(tooLong([...here, 'label'], Limits.buttonLabel));
        if (component.style !== ButtonStyle.Link && component.style !== ButtonStyle.Premium)
          checkCustomId(component, here, problems);
      } else {
        checkCustomId(component, here, problems);
      }
    });
  });
}

function checkAllowedMentions(value: unknown, at: Path, problems: Problem[]) {
  if (!isObject(value) || !Array.isArray(value.parse)) return;
  for (const kind of ['users', 'roles'] as const) {
    if (value.parse.includes(kind) && Array.isArray(value[kind]) && value[kind].length > 0) {
      problems.push({
        path: at,
        code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
        message: `parse:["${kind}"] and ${kind}: [ids] are mutually exclusive.`,
      });
    }
  }
}

function toErrorTree(problems: readonly Problem[]): JsonObject {
  const tree: JsonObject = {};
  for (const problem of problems) {
    let node = tree;
    for (const key of problem.path) {
      const next = node[String(key)];
      node = isObject(next) ? next : (node[String(key)] = {});
    }
    const list = Array.isArray(node._errors) ? node._errors : (node._errors = []);
    list.push({ code: problem.code, message: problem.message });
  }
  return tree;
}

/**
 * Checks a message create/edit body (or an interaction callback's `data`, with `prefix` ['data']).
 * Throws the 50035 error Discord would answer; returns quietly when the body is acceptable.
 */
export function validateMessageBody(body: JsonObject, prefix: Path = []): void {
  const problems: Problem[] = [];
  if (typeof body.content === 'string' && [...body.content].length > Limits.contentLength)
    problems.push(tooLong([...prefix, 'content'], Limits.contentLength));
  checkEmbeds(body.embeds, [...prefix, 'embeds'], problems);
  checkComponents(
    body.components,
    typeof body.flags === 'number' ? body.flags : 0,
    [...prefix, 'components'],
    problems,
  );
  checkAllowedMentions(body.allowed_mentions, [...prefix, 'allowed_mentions'], problems);
  throwIfProblems(problems);
}

/** Autocomplete results: at most 25 choices, each name 1–100 characters. */
export function validateChoices(choices: unknown): void {
  const problems: Problem[] = [];
  const at = ['data', 'choices'];
  if (!Array.isArray(choices)) problems.push(required(at));
  else {
    if (choices.length > Limits.autocompleteChoices) problems.push(tooLong(at, Limits.autocompleteChoices));
    choices.forEach((choice: unknown, i) => {
      const name = isObject(choice) ? choice.name : undefined;
      if (typeof name !== 'string' || name.length < 1 || name.length > 100)
        problems.push(badLength([...at, i, 'name'], 1, 100));
    });
  }
  throwIfProblems(problems);
}

export function invalidFormBody(path: Path, code: string, message: string): DiscordError {
  return new DiscordError(
    400,
    ErrorCode.InvalidFormBody,
    'Invalid Form Body',
    toErrorTree([{ path, code, message }]),
  );
}

function throwIfProblems(problems: readonly Problem[]) {
  if (problems.length > 0)
    throw new DiscordError(400, ErrorCode.InvalidFormBody, 'Invalid Form Body', toErrorTree(problems));
}
