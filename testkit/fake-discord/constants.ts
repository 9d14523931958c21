/**
 * Numbers Discord uses on the wire. Kept here, named, so the rest of the fake reads like the API docs
 * (developers/topics/opcodes-and-status-codes, resources/message, interactions/receiving-and-responding).
 */

/** JSON error codes (`code` in an error body). */
export const ErrorCode = {
  General: 0,
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownUser: 10013,
  UnknownWebhook: 10015,
  UnknownInteraction: 10062,
  MaxAttachments: 30015,
  MaxEditsToOldMessages: 30046,
  RequestEntityTooLarge: 40005,
  InteractionAlreadyAcknowledged: 40060,
  MissingAccess: 50001,
  CannotEditOtherUsersMessage: 50005,
  CannotSendEmptyMessage: 50006,
  CannotSendMessagesToUser: 50007,
  MissingPermissions: 50013,
  InvalidWebhookToken: 50027,
  InvalidFormBody: 50035,
  NoMutualGuilds: 50278,
  CannotReplyWithoutReadMessageHistory: 160002,
} as const;

/** Permission bits; names follow discord.js's `PermissionFlagsBits`. */
export const Permission = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewAuditLog: 1n << 7n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  SendTTSMessages: 1n << 12n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  ChangeNickname: 1n << 26n,
  ManageRoles: 1n << 28n,
  ManageWebhooks: 1n << 29n,
  UseApplicationCommands: 1n << 31n,
  SendMessagesInThreads: 1n << 38n,
  UseExternalApps: 1n << 50n,
} as const;

export type PermissionName = keyof typeof Permission;

export const ALL_PERMISSIONS = Object.values(Permission).reduce((all, bit) => all | bit, 0n);

/** What a fresh server's @everyone role may do (Discord's defaults, trimmed to the bits above). */
export const DEFAULT_EVERYONE_PERMISSIONS =
  Permission.CreateInstantInvite |
  Permission.AddReactions |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.MentionEveryone |
  Permission.UseExternalEmojis |
  Permission.ChangeNickname |
  Permission.UseApplicationCommands |
  Permission.SendMessagesInThreads |
  Permission.UseExternalApps;

/** What our bot's invite link asks for: enough to post, embed, attach and read back its messages. */
export const DEFAULT_BOT_PERMISSIONS =
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseApplicationCommands;

export const MessageFlag = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  /** The "Bot is thinking…" state of a deferred interaction response. */
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

export const MessageType = { Default: 0, Reply: 19, ChatInputCommand: 20 } as const;

export const ChannelType = { GuildText: 0, DM: 1 } as const;

export const GatewayOpcode = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

export const GatewayCloseCode = {
  UnknownError: 4000,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  InvalidShard: 4010,
} as const;

/** Gateway intents the fake looks at. INTERACTION_CREATE needs none. */
export const Intent = { Guilds: 1 << 0 } as const;

export const InteractionType = { ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4 } as const;

export const InteractionContext = { Guild: 0, BotDM: 1 } as const;

export const CallbackType = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;

export const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

export const ComponentType = { ActionRow: 1, Button: 2, StringSelect: 3 } as const;
export const ButtonStyle = { Link: 5, Premium: 6 } as const;

const MiB = 1024 * 1024;

/** Limits from resources/message.mdx, reference.mdx and components/reference.mdx. */
export const Limits = {
  contentLength: 2000,
  embedsPerMessage: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooterText: 2048,
  embedAuthorName: 256,
  embedTotalCharacters: 6000,
  actionRows: 5,
  componentsPerRow: 5,
  customIdLength: 100,
  buttonLabel: 80,
  attachmentsPerMessage: 10,
  autocompleteChoices: 25,
  /** Whole request body, files included (message.mdx "maximum request size"). */
  requestBytes: 25 * MiB,
  /** Per-file limit without boosts; `premium_tier` 2 and 3 raise it (third-party figures, docs/discord-limits.md#upload-limits). */
  uploadBytesByPremiumTier: [10 * MiB, 10 * MiB, 50 * MiB, 100 * MiB] as const,
  dmUploadBytes: 10 * MiB,
  interactionDeadlineMs: 3000,
  interactionTokenLifetimeMs: 15 * 60_000,
  /** Edits of messages older than this fall under the stricter 30046 limit. */
  oldMessageAgeMs: 60 * 60_000,
  invalidRequestWindowMs: 10 * 60_000,
} as const;
