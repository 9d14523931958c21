import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIApplicationCommandsJSONBody,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { MessageKey } from '../../i18n/index.js';
import { enUS } from '../../i18n/messages/en-US.js';
import { zhCN } from '../../i18n/messages/zh-CN.js';

/**
 * Slash commands as typed data (yuudachi style), registered by the deploy script. Names and option names
 * are a contract operators script against: the English names never change. Names, being identifiers
 * bound by Discord's naming rules, live here with their zh-CN aliases; descriptions come from the
 * message catalogue. Interactions always carry the English names, whatever the user's language.
 */

/** `en-US` is listed explicitly, as Discord recommends for the default locale (docs/discord-limits.md#command-names-and-localisation). */
function names<const En extends string, const Zh extends string>(en: En, zh: Zh) {
  return { name: en, name_localizations: { 'en-US': en, 'zh-CN': zh } } as const;
}

function descriptions<const Key extends MessageKey>(key: Key) {
  return {
    description: enUS[key],
    description_localizations: { 'en-US': enUS[key], 'zh-CN': zhCN[key] },
  } as const;
}

/** Same bound as the video API client's id check; longer input never reaches us. */
const TASK_ID_MAX_LENGTH = 200;

export const soraCommand = {
  type: ApplicationCommandType.ChatInput,
  ...names('sora', 'sora'),
  ...descriptions('command.sora.description'),
  // Guild-only: the bot posts progress as a channel message, which needs a guild install with a bot user.
  // `contexts` supersedes the deprecated `dm_permission: false`.
  contexts: [InteractionContextType.Guild],
  integration_types: [ApplicationIntegrationType.GuildInstall],
  options: [
    {
      type: ApplicationCommandOptionType.Subcommand,
      ...names('track', '跟踪'),
      ...descriptions('command.track.description'),
      options: [
        {
          type: ApplicationCommandOptionType.String,
          ...names('id', '任务id'),
          ...descriptions('command.track.id.description'),
          required: true,
          min_length: 1,
          max_length: TASK_ID_MAX_LENGTH,
        },
        {
          type: ApplicationCommandOptionType.Boolean,
          ...names('notify', '私信通知'),
          ...descriptions('command.track.notify.description'),
          required: false,
        },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      ...names('status', '状态'),
      ...descriptions('command.status.description'),
      options: [
        {
          type: ApplicationCommandOptionType.String,
          ...names('id', '任务id'),
          ...descriptions('command.status.id.description'),
          required: true,
          min_length: 1,
          max_length: TASK_ID_MAX_LENGTH,
        },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      ...names('untrack', '取消跟踪'),
      ...descriptions('command.untrack.description'),
      options: [
        {
          type: ApplicationCommandOptionType.String,
          ...names('id', '任务id'),
          ...descriptions('command.untrack.id.description'),
          required: true,
          min_length: 1,
          max_length: TASK_ID_MAX_LENGTH,
          autocomplete: true,
        },
      ],
    },
    {
      type: ApplicationCommandOptionType.Subcommand,
      ...names('list', '列表'),
      ...descriptions('command.list.description'),
    },
  ],
} as const satisfies RESTPostAPIChatInputApplicationCommandsJSONBody;

export type SoraSubcommand = (typeof soraCommand.options)[number]['name'];

/** Every command the bot registers, for `npm run deploy-commands` and `REGISTER_COMMANDS=true`. */
export const soraCommandDefinitions: readonly RESTPostAPIApplicationCommandsJSONBody[] = [soraCommand];
