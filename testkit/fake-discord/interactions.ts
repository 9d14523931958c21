/**
 * Users interacting with the bot: slash commands, autocomplete and button clicks arrive as
 * INTERACTION_CREATE on the gateway, shaped as Discord sends them (interactions/receiving-and-responding).
 *
 * Deadlines run on the fake's clock: without a first answer within 3 s the user sees "This interaction
 * failed" and a late callback gets 404 10062; the token then works for 15 min, after which the webhook
 * routes answer 401 50027. With a manual clock the test moves time itself; by default it is real time.
 */
import type { Clock } from '../../src/scheduling/clock.js';
import { ComponentType, InteractionContext, InteractionType, Limits, OptionType } from './constants.js';
import { randomBytes } from 'node:crypto';
import { declaredOption, type CommandStore } from './commands.js';
import type { Gateway } from './gateway.js';
import type { FakeMessage, MessageStore } from './messages.js';
import type { SnowflakeFactory } from './snowflake.js';
import { isObject, type JsonObject } from './validate.js';
import type { ChangeFeed, WaitOptions } from './wait.js';
import {
  toPermissionBits,
  type FakeChannel,
  type FakeRole,
  type FakeUser,
  type PermissionInput,
  type World,
} from './world.js';

/** One callback the bot sent (POST /interactions/{id}/{token}/callback) and what it did. */
export interface InteractionResponse {
  /** Callback type: 4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 9 modal. */
  type: number;
  /** When it arrived, on the fake's clock. */
  at: number;
  /** The callback's `data`, as sent. */
  data: JsonObject;
  ephemeral: boolean;
  /** Autocomplete choices (type 8). */
  choices: JsonObject[];
  /** The message it created (4, 5) or updated (6, 7). */
  message: FakeMessage | null;
}

export class InteractionRecord {
  readonly responses: InteractionResponse[] = [];
  /** The reply message (after 4/5), or for components the clicked message (after 6/7). */
  originalMessageId: string | null = null;
  readonly followUpIds: string[] = [];
  /** When the 3-s deadline passed without an answer. */
  failedAt: number | null = null;

  constructor(
    readonly id: string,
    readonly token: string,
    readonly type: number,
    readonly createdAt: number,
    readonly channelId: string,
    readonly guildId: string | null,
    readonly userId: string,
    readonly commandName: string | null,
    readonly attachmentSizeLimit: number,
    /** The clicked message, for component interactions. */
    readonly componentMessageId: string | null,
    readonly payload: JsonObject,
  ) {}

  get acknowledged(): boolean {
    return this.responses.length > 0;
  }
}

export type OptionValue = string | number | boolean | FakeUser | FakeChannel | FakeRole;

interface CommonOptions {
  user: FakeUser;
  /** `locale` of the interaction (the user's client language); defaults to the user's. */
  locale?: string;
  /** Overrides `app_permissions`, which is otherwise what the bot may do in the channel. */
  appPermissions?: PermissionInput;
  /** `attachment_size_limit`; otherwise the channel's upload limit. */
  attachmentSizeLimit?: number;
}

export interface CommandOptions extends CommonOptions {
  channel: FakeChannel;
  name: string;
  subcommandGroup?: string;
  subcommand?: string;
  options?: Record<string, OptionValue>;
}

export interface AutocompleteOptions extends CommandOptions {
  /** The option being typed in; its value is the partial text. */
  focused: string;
}

export interface ButtonOptions extends CommonOptions {
  message: FakeMessage;
  customId: string;
}

export interface InteractionHandle {
  readonly id: string;
  readonly token: string;
  readonly createdAt: number;
  /** INTERACTION_CREATE's `d`, as dispatched. */
  readonly payload: JsonObject;
  /** How many gateway sessions it was sent to (0: no bot is connected for that shard). */
  readonly deliveredTo: number;
  /** The first callback, once the bot answers. */
  response(options?: WaitOptions): Promise<InteractionResponse>;
  responses(): readonly InteractionResponse[];
  status(): 'pending' | 'acknowledged' | 'failed';
  /** Resolves when the user is shown "This interaction failed" (no answer within 3 s). */
  failed(options?: WaitOptions): Promise<void>;
  /** The reply message (or, for a button after 6/7, the clicked message). */
  original(): FakeMessage | undefined;
  followUps(): FakeMessage[];
  /** Resolves once the reply exists and `predicate` holds for it (checked after every change). */
  waitForOriginal(predicate?: (message: FakeMessage) => boolean, options?: WaitOptions): Promise<FakeMessage>;
  waitForFollowUp(predicate?: (message: FakeMessage) => boolean, options?: WaitOptions): Promise<FakeMessage>;
}

export type Interactions = ReturnType<typeof createInteractions>;

export function createInteractions(deps: {
  ids: SnowflakeFactory;
  clock: Clock;
  world: World;
  messages: MessageStore;
  commands: CommandStore;
  gateway: Gateway;
  feed: ChangeFeed;
}) {
  const { ids, clock, world, messages, commands, gateway, feed } = deps;
  const byId = new Map<string, InteractionRecord>();
  const byToken = new Map<string, InteractionRecord>();
  const cancelTimers = new Set<() => void>();

  function failIfUnanswered(record: InteractionRecord) {
    if (!record.acknowledged && record.failedAt === null) {
      record.failedAt = clock.now();
      feed.notify();
    }
  }

  /** Fields every interaction carries: who, where, and what the app may do there. */
  function common(type: number, channel: FakeChannel, opts: CommonOptions) {
    if (channel.deleted) throw new Error(`Channel ${channel.id} was deleted`);
    const guild = world.guildOf(channel);
    const member = guild?.members.get(opts.user.id);
    if (guild && !member)
      throw new Error(`User ${opts.user.username} is not a member of guild ${guild.name}`);
    const appPermissions = opts.appPermissions ?? world.permissionsIn(channel, world.bot.id);
    return {
      id: ids.next(),
      application_id: world.application.id,
      type,
      token: `${randomBytes(48).toString('base64url')}`,
      version: 1,
      channel_id: channel.id,
      channel: world.apiChannel(channel),
      ...(guild && member
        ? {
            guild_id: guild.id,
            guild: { id: guild.id, locale: guild.preferredLocale, features: [] },
            guild_locale: guild.preferredLocale,
            member: {
              ...world.apiMember(member),
              permissions: world.permissionsIn(channel, opts.user.id).toString(),
            },
          }
        : { user: world.apiUser(opts.user) }),
      locale: opts.locale ?? opts.user.locale,
      app_permissions: toPermissionBits(appPermissions).toString(),
      entitlements: [],
      authorizing_integration_owners: { '0': guild?.id ?? '0' },
      context: guild ? InteractionContext.Guild : InteractionContext.BotDM,
      attachment_size_limit: opts.attachmentSizeLimit ?? world.uploadLimit(channel),
    };
  }

  function optionType(value: OptionValue): number {
    if (typeof value === 'string') return OptionType.String;
    if (typeof value === 'boolean') return OptionType.Boolean;
    if (typeof value === 'number') return Number.isInteger(value) ? OptionType.Integer : OptionType.Number;
    if ('guildId' in value && 'permissions' in value) return OptionType.Role;
    if ('type' in value) return OptionType.Channel;
    return OptionType.User;
  }

  /** Builds `data` of a command: nested subcommand options, declared types, `resolved` entities. */
  function commandData(channel: FakeChannel, opts: CommandOptions, focused: string | null) {
    const guildId = channel.guildId;
    const registered = commands.find(opts.name, guildId);
    const resolved: Record<string, Record<string, unknown>> = {};
    let declared = registered?.options;
    const path: string[] = [];
    for (const level of [opts.subcommandGroup, opts.subcommand]) {
      if (level === undefined) continue;
      path.push(level);
      if (registered) {
        const sub = declaredOption(declared, level);
        if (!sub)
          throw new Error(`/${opts.name} has no subcommand ${path.join(' ')} (see registered commands)`);
        declared = Array.isArray(sub.options) ? sub.options.filter(isObject) : [];
      }
    }
    const leafOptions = Object.entries(opts.options ?? {}).map(([name, value]) => {
      const definition = declaredOption(declared, name);
      if (registered && !definition)
        throw new Error(`/${opts.name} ${path.join(' ')} has no option "${name}"`);
      const type = typeof definition?.type === 'number' ? definition.type : optionType(value);
      if (typeof value === 'object') {
        const kind = type === OptionType.Role ? 'roles' : type === OptionType.Channel ? 'channels' : 'users';
        (resolved[kind] ??= {})[value.id] =
          kind === 'users'
            ? world.apiUser(value as FakeUser)
            : kind === 'channels'
              ? world.apiChannel(value as FakeChannel)
              : world.apiRole(value as FakeRole);
        const member = kind === 'users' ? world.guildOf(channel)?.members.get(value.id) : undefined;
        if (member) (resolved.members ??= {})[value.id] = world.apiMember(member, false);
      }
      return {
        name,
        type,
        value: typeof value === 'object' ? value.id : name === focused ? String(value) : value,
        ...(name === focused ? { focused: true } : {}),
      };
    });
    if (registered && focused === null) {
      for (const definition of declared ?? []) {
        if (definition.required === true && !(String(definition.name) in (opts.options ?? {})))
          throw new Error(`/${opts.name} ${path.join(' ')} requires option "${String(definition.name)}"`);
      }
    }
    let options: JsonObject[] = leafOptions;
    if (opts.subcommand !== undefined)
      options = [{ name: opts.subcommand, type: OptionType.Subcommand, options }];
    if (opts.subcommandGroup !== undefined)
      options = [{ name: opts.subcommandGroup, type: OptionType.SubcommandGroup, options }];
    return {
      id: registered?.id ?? ids.next(),
      name: opts.name,
      type: 1,
      options,
      ...(registered?.guild_id ? { guild_id: registered.guild_id } : {}),
      ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    };
  }

  function start(
    payload: ReturnType<typeof common> & { data: JsonObject; message?: unknown },
    channel: FakeChannel,
    user: FakeUser,
    commandName: string | null,
    componentMessageId: string | null,
  ): InteractionHandle {
    const record = new InteractionRecord(
      payload.id,
      payload.token,
      payload.type,
      clock.now(),
      channel.id,
      channel.guildId,
      user.id,
      commandName,
      payload.attachment_size_limit,
      componentMessageId,
      payload,
    );
    byId.set(record.id, record);
    byToken.set(record.token, record);
    const cancel = clock.setTimeout(() => {
      cancelTimers.delete(cancel);
      failIfUnanswered(record);
    }, Limits.interactionDeadlineMs);
    cancelTimers.add(cancel);
    const deliveredTo = gateway.dispatch('INTERACTION_CREATE', payload, channel.guildId);
    return handleFor(record, deliveredTo);
  }

  function handleFor(record: InteractionRecord, deliveredTo: number): InteractionHandle {
    const original = () =>
      record.originalMessageId === null ? undefined : messages.get(record.originalMessageId);
    const followUps = () => record.followUpIds.flatMap((id) => messages.get(id) ?? []);
    const hint = deliveredTo === 0 ? ' (it reached no gateway session: is a client connected?)' : '';
    return {
      id: record.id,
      token: record.token,
      createdAt: record.createdAt,
      payload: record.payload,
      deliveredTo,
      response: (options) =>
        feed.waitFor(() => record.responses[0], {
          description: `the bot's answer to interaction ${record.id}${hint}`,
          ...options,
        }),
      responses: () => record.responses,
      status: () => (record.acknowledged ? 'acknowledged' : record.failedAt !== null ? 'failed' : 'pending'),
      failed: async (options) => {
        await feed.waitFor(() => record.failedAt !== null, {
          description: `interaction ${record.id} to fail`,
          ...options,
        });
      },
      original,
      followUps,
      waitForOriginal: (predicate = () => true, options) =>
        feed.waitFor(
          () => {
            const message = original();
            return message && predicate(message) ? message : undefined;
          },
          { description: `the reply to interaction ${record.id}${hint}`, ...options },
        ),
      waitForFollowUp: (predicate = () => true, options) =>
        feed.waitFor(() => followUps().find(predicate), {
          description: `a follow-up to interaction ${record.id}${hint}`,
          ...options,
        }),
    };
  }

  return {
    /** A user runs a slash command, e.g. `/sora track id:abc notify:true`. */
    command: (opts: CommandOptions): InteractionHandle => {
      const payload = {
        ...common(InteractionType.ApplicationCommand, opts.channel, opts),
        data: commandData(opts.channel, opts, null),
      };
      return start(payload, opts.channel, opts.user, opts.name, null);
    },

    /** A user types in an autocompleted option; the bot answers with choices (callback type 8). */
    autocomplete: (opts: AutocompleteOptions): InteractionHandle => {
      const payload = {
        ...common(InteractionType.Autocomplete, opts.channel, opts),
        data: commandData(opts.channel, opts, opts.focused),
      };
      return start(payload, opts.channel, opts.user, opts.name, null);
    },

    /** A user clicks a button that is on `message` now (it must exist and be enabled). */
    button: (opts: ButtonOptions): InteractionHandle => {
      const message = messages.get(opts.message.id);
      if (!message || message.deleted) throw new Error(`Message ${opts.message.id} is not there to click`);
      if (message.ephemeralTo !== null && message.ephemeralTo !== opts.user.id)
        throw new Error(`Message ${message.id} is ephemeral: only its recipient sees its buttons`);
      const buttons = message.current.components.flatMap((row) =>
        Array.isArray(row.components) ? row.components.filter(isObject) : [],
      );
      const button = buttons.find((b) => b.type === ComponentType.Button && b.custom_id === opts.customId);
      if (!button) throw new Error(`Message ${message.id} has no button "${opts.customId}"`);
      if (button.disabled === true) throw new Error(`Button "${opts.customId}" is disabled`);
      const channel = world.getChannel(message.channelId);
      if (!channel) throw new Error(`Unknown channel ${message.channelId}`);
      const payload = {
        ...common(InteractionType.MessageComponent, channel, opts),
        data: { custom_id: opts.customId, component_type: ComponentType.Button },
        message: messages.toApi(message),
      };
      return start(payload, channel, opts.user, null, message.id);
    },

    get: (id: string) => byId.get(id),
    byToken: (token: string) => byToken.get(token),
    all: () => [...byId.values()],
    handle: (id: string) => {
      const record = byId.get(id);
      return record ? handleFor(record, -1) : undefined;
    },
    markFailed: failIfUnanswered,
    close() {
      for (const cancel of cancelTimers) cancel();
      cancelTimers.clear();
    },
  };
}
