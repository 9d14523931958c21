/** The locales the bot speaks. The channel message uses the guild's, replies the caller's. */
export const SUPPORTED_LOCALES = ['en-US', 'zh-CN'] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: SupportedLocale = 'en-US';

/**
 * Maps a Discord locale code (`interaction.locale`, `guild_locale`) to a catalogue.
 * `zh-TW` (Traditional Chinese) also gets zh-CN: Simplified text is far easier for a Traditional reader
 * than English, and a Chinese speaker who picked zh-TW would rather read Chinese. Every other locale,
 * including an empty or unknown one, falls back to en-US.
 */
export function resolveLocale(discordLocale: string): SupportedLocale {
  const code = discordLocale.trim().toLowerCase();
  if (code === 'zh-cn' || code === 'zh-tw' || code === 'zh') return 'zh-CN';
  return 'en-US';
}
