/**
 * Registered application commands, global and per guild (PUT = bulk overwrite). A command keeps its id
 * when overwritten under the same name, as on Discord. The interactions driver reads the definitions to
 * give options their declared types.
 */
import { OptionType } from './constants.js';
import type { SnowflakeFactory } from './snowflake.js';
import { invalidFormBody, isObject, text, type JsonObject } from './validate.js';

export interface ApiCommand extends JsonObject {
  id: string;
  application_id: string;
  name: string;
  type: number;
  options?: JsonObject[];
  guild_id?: string;
}

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkNames(options: unknown, path: (string | number)[]): void {
  if (!Array.isArray(options)) return;
  if (options.length > 25)
    throw invalidFormBody(path, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
  const seen = new Set<string>();
  options.forEach((option: unknown, i) => {
    if (!isObject(option)) return;
    const name = text(option.name);
    if (!NAME.test(name) || name !== name.toLowerCase())
      throw invalidFormBody(
        [...path, i, 'name'],
        'APPLICATION_COMMAND_INVALID_NAME',
        'Command name is invalid',
      );
    if (seen.has(name))
      throw invalidFormBody(
        path,
        'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS',
        'Option names must be unique',
      );
    seen.add(name);
    const description = option.description;
    if (typeof description !== 'string' || description.length < 1 || description.length > 100)
      throw invalidFormBody(
        [...path, i, 'description'],
        'BASE_TYPE_BAD_LENGTH',
        'Must be between 1 and 100 in length.',
      );
    checkNames(option.options, [...path, i, 'options']);
  });
}

export type CommandStore = ReturnType<typeof createCommandStore>;

export function createCommandStore(ids: SnowflakeFactory, applicationId: string) {
  const scopes = new Map<string, ApiCommand[]>();
  const key = (guildId: string | null) => guildId ?? 'global';

  function toStored(input: JsonObject, guildId: string | null, previous: ApiCommand[]): ApiCommand {
    const name = text(input.name);
    const type = typeof input.type === 'number' ? input.type : 1;
    const kept = previous.find((c) => c.name === name && c.type === type);
    return {
      default_member_permissions: null,
      nsfw: false,
      ...input,
      id: kept?.id ?? ids.next(),
      application_id: applicationId,
      version: ids.next(),
      name,
      type,
      ...(Array.isArray(input.options) ? { options: input.options.filter(isObject) } : {}),
      ...(guildId ? { guild_id: guildId } : {}),
    };
  }

  return {
    overwrite(guildId: string | null, list: unknown): ApiCommand[] {
      if (!Array.isArray(list)) throw invalidFormBody([], 'BASE_TYPE_ARRAY', 'Must be an array.');
      checkNames(list, []);
      const previous = scopes.get(key(guildId)) ?? [];
      const stored = list.filter(isObject).map((input) => toStored(input, guildId, previous));
      scopes.set(key(guildId), stored);
      return stored;
    },
    upsert(guildId: string | null, input: unknown): ApiCommand {
      if (!isObject(input)) throw invalidFormBody([], 'DICT_TYPE_CONVERT', 'Only dictionaries may be used.');
      checkNames([input], []);
      const previous = scopes.get(key(guildId)) ?? [];
      const stored = toStored(input, guildId, previous);
      scopes.set(key(guildId), [...previous.filter((c) => c.id !== stored.id), stored]);
      return stored;
    },
    list: (guildId: string | null): ApiCommand[] => [...(scopes.get(key(guildId)) ?? [])],
    /** The command a user in `guildId` would pick by this name: guild commands first, then global. */
    find(name: string, guildId: string | null): ApiCommand | undefined {
      const inGuild = guildId
        ? scopes.get(key(guildId))?.find((c) => c.name === name && c.type === 1)
        : undefined;
      return inGuild ?? scopes.get(key(null))?.find((c) => c.name === name && c.type === 1);
    },
  };
}

/** Looks up `name` among a command's (or subcommand's) declared options. */
export function declaredOption(options: JsonObject[] | undefined, name: string): JsonObject | undefined {
  return options?.find((o) => o.name === name);
}

export function isSubcommandLike(option: JsonObject): boolean {
  return option.type === OptionType.Subcommand || option.type === OptionType.SubcommandGroup;
}
