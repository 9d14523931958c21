/**
 * Messages and their history. Every create and every edit appends a version, so a test can replay what
 * people saw: text, embeds, buttons, files (bytes kept exactly), mentions and who got pinged.
 */
import { ChannelType, Limits, MessageFlag, MessageType } from './constants.js';
import { Errors } from './errors.js';
import type { SnowflakeFactory } from './snowflake.js';
import { isoTime } from './time.js';
import { isObject, type JsonObject } from './validate.js';
import type { FakeChannel, World } from './world.js';

/** A file part of a multipart request (`files[n]`). */
export interface UploadedFile {
  /** The `n` of `files[n]`, which `attachments[].id` refers to. */
  index: number;
  filename: string;
  contentType: string | null;
  data: Buffer;
}

export interface StoredAttachment {
  readonly id: string;
  readonly filename: string;
  readonly description: string | null;
  readonly contentType: string | null;
  readonly size: number;
  readonly data: Buffer;
}

/** Who a version actually notified (after `allowed_mentions` and defaults were applied). */
export interface Pings {
  users: string[];
  roles: string[];
  everyone: boolean;
}

export interface MessageReference {
  message_id?: string;
  channel_id?: string;
  guild_id?: string;
  fail_if_not_exists?: boolean;
  type?: number;
}

export interface MessageVersion {
  /** When this version appeared, on the fake's clock. */
  readonly at: number;
  readonly content: string;
  readonly embeds: readonly JsonObject[];
  readonly components: readonly JsonObject[];
  readonly attachments: readonly StoredAttachment[];
  /** As sent with this create or edit; null when the request had none (Discord's defaults applied). */
  readonly allowedMentions: JsonObject | null;
  readonly flags: number;
  readonly messageReference: MessageReference | null;
  readonly nonce: string | number | null;
  readonly pings: Pings;
}

export interface InteractionLink {
  id: string;
  type: number;
  userId: string;
  name: string | null;
  guildId: string | null;
}

export class FakeMessage {
  readonly versions: MessageVersion[] = [];
  deletedAt: number | null = null;

  constructor(
    readonly id: string,
    readonly channelId: string,
    readonly guildId: string | null,
    readonly authorId: string,
    readonly type: number,
    readonly createdAt: number,
    /** Set on interaction responses and follow-ups: they are sent through the app's webhook. */
    readonly webhookId: string | null,
    readonly interaction: InteractionLink | null,
    /** The only user who sees an ephemeral message. */
    readonly ephemeralTo: string | null,
  ) {}

  /** What people see now (the last version). */
  get current(): MessageVersion {
    const last = this.versions.at(-1);
    if (!last) throw new Error(`Message ${this.id} has no version`);
    return last;
  }

  get deleted(): boolean {
    return this.deletedAt !== null;
  }

  get ephemeral(): boolean {
    return this.ephemeralTo !== null;
  }
}

export interface CreateMessageInput {
  channel: FakeChannel;
  authorId: string;
  body: JsonObject;
  files?: readonly UploadedFile[];
  /** Creation time; defaults to now. Benchmarks seed old messages with it. */
  at?: number;
  type?: number;
  webhookId?: string | null;
  interaction?: InteractionLink | null;
  ephemeralTo?: string | null;
  /** Flags set by Discord itself (Ephemeral, Loading), not taken from the body. */
  extraFlags?: number;
  /** Discord's `parse` when `allowed_mentions` is absent: all kinds for messages, only users for webhooks. */
  defaultParse?: readonly string[];
  /** Whether the author may ping @everyone here. */
  canMentionEveryone?: boolean;
}

const CREATE_FLAGS =
  MessageFlag.SuppressEmbeds | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2;
const EDIT_FLAGS = MessageFlag.SuppressEmbeds | MessageFlag.IsComponentsV2;
const NONCE_WINDOW_MS = 5 * 60_000;
export const PARSE_ALL = ['users', 'roles', 'everyone'] as const;
export const PARSE_USERS = ['users'] as const;

function mentionedIds(content: string, pattern: RegExp): string[] {
  return [...new Set([...content.matchAll(pattern)].map((m) => m[1] ?? ''))];
}

function computePings(
  content: string,
  allowed: JsonObject | null,
  defaultParse: readonly string[],
  repliedUserId: string | null,
  canMentionEveryone: boolean,
): Pings {
  const parse = allowed ? (Array.isArray(allowed.parse) ? allowed.parse : []) : defaultParse;
  const listed = (kind: 'users' | 'roles') =>
    allowed && Array.isArray(allowed[kind]) ? (allowed[kind] as unknown[]).map(String) : [];
  const users = mentionedIds(content, /<@!?(\d{15,20})>/g).filter(
    (id) => parse.includes('users') || listed('users').includes(id),
  );
  const roles = mentionedIds(content, /<@&(\d{15,20})>/g).filter(
    (id) => parse.includes('roles') || listed('roles').includes(id),
  );
  // Without allowed_mentions a reply pings its author; with it, only when replied_user is true.
  if (repliedUserId && (allowed ? allowed.replied_user === true : true) && !users.includes(repliedUserId))
    users.push(repliedUserId);
  const everyone = canMentionEveryone && parse.includes('everyone') && /@(everyone|here)\b/.test(content);
  return { users, roles, everyone };
}

function arrayOfObjects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export type MessageStore = ReturnType<typeof createMessageStore>;

export function createMessageStore(deps: {
  ids: SnowflakeFactory;
  now: () => number;
  world: World;
  /** Where an attachment's bytes are served (the fake's stand-in for the CDN). */
  attachmentUrl: (attachment: StoredAttachment, channelId: string) => string;
}) {
  const { ids, now, world } = deps;
  const byId = new Map<string, FakeMessage>();
  const byChannel = new Map<string, FakeMessage[]>();
  // Messages created before this moment no longer match their nonce (`forgetNonces`).
  let noncesForgottenBefore = -Infinity;
  const attachments = new Map<string, { attachment: StoredAttachment; channelId: string }>();

  function storeAttachments(list: readonly StoredAttachment[], channelId: string) {
    for (const attachment of list) attachments.set(attachment.id, { attachment, channelId });
  }

  /** New files become attachments; `entries` (the body's `attachments`) name and describe them by index. */
  function uploaded(files: readonly UploadedFile[], entries: JsonObject[] | null): StoredAttachment[] {
    const make = (file: UploadedFile, entry: JsonObject | undefined): StoredAttachment => ({
      id: ids.next(),
      filename: typeof entry?.filename === 'string' ? entry.filename : file.filename,
      description: typeof entry?.description === 'string' ? entry.description : null,
      contentType: file.contentType,
      size: file.data.length,
      data: file.data,
    });
    if (entries === null) return files.map((file) => make(file, undefined));
    return entries.flatMap((entry) => {
      const file = files.find((f) => String(f.index) === String(entry.id));
      return file ? [make(file, entry)] : [];
    });
  }

  function repliedUser(reference: MessageReference | null): string | null {
    return reference?.message_id ? (byId.get(reference.message_id)?.authorId ?? null) : null;
  }

  function isEmpty(version: Omit<MessageVersion, 'pings' | 'at'>) {
    return (
      version.content.trim() === '' &&
      version.embeds.length === 0 &&
      version.components.length === 0 &&
      version.attachments.length === 0
    );
  }

  function create(input: CreateMessageInput): FakeMessage {
    const { channel, body } = input;
    const at = input.at ?? now();
    const extraFlags = input.extraFlags ?? 0;
    const entries = Array.isArray(body.attachments) ? arrayOfObjects(body.attachments) : null;
    const reference = isObject(body.message_reference) ? (body.message_reference as MessageReference) : null;
    const allowedMentions = isObject(body.allowed_mentions) ? body.allowed_mentions : null;
    const draft = {
      content: typeof body.content === 'string' ? body.content : '',
      embeds: arrayOfObjects(body.embeds),
      components: arrayOfObjects(body.components),
      attachments: uploaded(input.files ?? [], entries),
      allowedMentions,
      flags: ((typeof body.flags === 'number' ? body.flags : 0) & CREATE_FLAGS) | extraFlags,
      messageReference: reference,
      nonce: typeof body.nonce === 'string' || typeof body.nonce === 'number' ? body.nonce : null,
    };
    if (draft.attachments.length > Limits.attachmentsPerMessage) throw Errors.tooManyAttachments();
    if (!(extraFlags & MessageFlag.Loading) && isEmpty(draft)) throw Errors.emptyMessage();
    const message = new FakeMessage(
      ids.next(at),
      channel.id,
      channel.guildId,
      input.authorId,
      input.type ?? (reference ? MessageType.Reply : MessageType.Default),
      at,
      input.webhookId ?? null,
      input.interaction ?? null,
      input.ephemeralTo ?? null,
    );
    message.versions.push({
      ...draft,
      at,
      pings: computePings(
        draft.content,
        allowedMentions,
        input.defaultParse ?? PARSE_ALL,
        repliedUser(reference),
        input.canMentionEveryone ?? false,
      ),
    });
    byId.set(message.id, message);
    const list = byChannel.get(channel.id) ?? [];
    list.push(message);
    byChannel.set(channel.id, list);
    storeAttachments(draft.attachments, channel.id);
    return message;
  }

  /**
   * An edit: fields absent from the body stay as they were. With API v10 the `attachments` array, when
   * present, lists every file that remains (kept by id, new ones by upload index); without it, existing
   * files stay and new uploads are appended (resources/message.mdx, Edit Message).
   */
  function edit(
    message: FakeMessage,
    body: JsonObject,
    files: readonly UploadedFile[] = [],
    options: { defaultParse?: readonly string[]; canMentionEveryone?: boolean } = {},
  ): MessageVersion {
    const previous = message.current;
    const has = (key: string) => Object.hasOwn(body, key);
    let nextAttachments: StoredAttachment[];
    if (Array.isArray(body.attachments)) {
      const entries = arrayOfObjects(body.attachments);
      const keep = new Set(entries.map((e) => String(e.id)));
      nextAttachments = [...previous.attachments.filter((a) => keep.has(a.id)), ...uploaded(files, entries)];
    } else {
      nextAttachments = [...previous.attachments, ...uploaded(files, null)];
    }
    let flags = previous.flags & ~MessageFlag.Loading;
    if (typeof body.flags === 'number') {
      // Only some flags may change on edit, and Components V2 cannot be turned off once on.
      flags =
        (flags & ~EDIT_FLAGS) | (body.flags & EDIT_FLAGS) | (previous.flags & MessageFlag.IsComponentsV2);
    }
    const allowedMentions = isObject(body.allowed_mentions) ? body.allowed_mentions : null;
    const draft = {
      content: has('content') ? (typeof body.content === 'string' ? body.content : '') : previous.content,
      embeds: has('embeds') ? arrayOfObjects(body.embeds) : previous.embeds,
      components: has('components') ? arrayOfObjects(body.components) : previous.components,
      attachments: nextAttachments,
      allowedMentions,
      flags,
      messageReference: previous.messageReference,
      nonce: previous.nonce,
    };
    if (draft.attachments.length > Limits.attachmentsPerMessage) throw Errors.tooManyAttachments();
    if (isEmpty(draft)) throw Errors.emptyMessage();
    const version: MessageVersion = {
      ...draft,
      at: now(),
      // An edit without allowed_mentions is parsed with the defaults, not with the original's settings.
      pings: computePings(
        draft.content,
        allowedMentions,
        options.defaultParse ?? PARSE_ALL,
        repliedUser(draft.messageReference),
        options.canMentionEveryone ?? false,
      ),
    };
    message.versions.push(version);
    storeAttachments(draft.attachments, message.channelId);
    return version;
  }

  function toApi(message: FakeMessage) {
    const version = message.current;
    const author = world.getUser(message.authorId);
    const channel = world.getChannel(message.channelId);
    const attachmentToApi = (a: StoredAttachment) => {
      const url = deps.attachmentUrl(a, message.channelId);
      return {
        id: a.id,
        filename: a.filename,
        size: a.size,
        url,
        proxy_url: url,
        ...(a.contentType ? { content_type: a.contentType } : {}),
        ...(a.description !== null ? { description: a.description } : {}),
        ...(message.ephemeral ? { ephemeral: true } : {}),
      };
    };
    return {
      id: message.id,
      type: message.type,
      channel_id: message.channelId,
      ...(channel?.type === ChannelType.GuildText && message.guildId ? { guild_id: message.guildId } : {}),
      author: author
        ? world.apiUser(author)
        : { id: message.authorId, username: 'unknown', discriminator: '0' },
      content: version.content,
      timestamp: isoTime(message.createdAt),
      edited_timestamp: message.versions.length > 1 ? isoTime(version.at) : null,
      tts: false,
      mention_everyone: version.pings.everyone,
      mentions: version.pings.users.flatMap((id) => {
        const user = world.getUser(id);
        return user ? [world.apiUser(user)] : [];
      }),
      mention_roles: version.pings.roles,
      attachments: version.attachments.map(attachmentToApi),
      embeds: version.embeds.map((embed) => ({ type: 'rich', ...embed })),
      components: version.components,
      pinned: false,
      flags: version.flags,
      ...(version.nonce !== null ? { nonce: version.nonce } : {}),
      ...(version.messageReference
        ? {
            message_reference: {
              type: 0,
              channel_id: message.channelId,
              ...(message.guildId ? { guild_id: message.guildId } : {}),
              ...version.messageReference,
            },
          }
        : {}),
      ...(message.webhookId ? { webhook_id: message.webhookId, application_id: message.webhookId } : {}),
      ...(message.interaction
        ? {
            interaction_metadata: {
              id: message.interaction.id,
              type: message.interaction.type,
              ...(message.interaction.name ? { name: message.interaction.name } : {}),
              user: world.apiUser(world.getUser(message.interaction.userId) ?? world.bot),
              authorizing_integration_owners: { '0': message.interaction.guildId ?? '0' },
            },
          }
        : {}),
    };
  }

  return {
    create,
    edit,
    toApi,
    delete(message: FakeMessage) {
      message.deletedAt = now();
    },
    get: (id: string) => byId.get(id),
    /** Messages of a channel, oldest first, deleted ones included (check `.deleted`). */
    inChannel: (channelId: string) => [...(byChannel.get(channelId) ?? [])],
    attachment: (id: string) => attachments.get(id),
    /** Discord's nonce memory runs out: a create with an earlier message's nonce creates a new one. */
    forgetNonces() {
      noncesForgottenBefore = now() + 1;
    },
    /** `enforce_nonce`: the same author's message with this nonce from the last few minutes. */
    findByNonce(channelId: string, authorId: string, nonce: string | number): FakeMessage | undefined {
      const list = byChannel.get(channelId) ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const message = list[i]!;
        if (message.createdAt < Math.max(now() - NONCE_WINDOW_MS, noncesForgottenBefore)) break;
        const first = message.versions[0];
        if (message.authorId === authorId && first && String(first.nonce) === String(nonce)) return message;
      }
      return undefined;
    },
  };
}
