import type { MessageArgs, MessageKey } from './catalogue.js';
import { resolveLocale, type SupportedLocale } from './locales.js';
import { enUS } from './messages/en-US.js';
import { zhCN } from './messages/zh-CN.js';

const catalogues: Readonly<Record<SupportedLocale, Readonly<Record<MessageKey, string>>>> = {
  'en-US': enUS,
  'zh-CN': zhCN,
};

/** The raw catalogue of a locale, e.g. for command localisation maps and tests. */
export function catalogueFor(locale: SupportedLocale): Readonly<Record<MessageKey, string>> {
  return catalogues[locale];
}

/**
 * The message `key` in `locale` (a supported locale or any Discord locale code, resolved with
 * `resolveLocale`), its `{placeholders}` filled from `params`. Params are inserted as given: escape
 * untrusted text before passing it.
 */
export function t<Key extends MessageKey>(locale: string, key: Key, ...args: MessageArgs<Key>): string {
  // Types rule out an unknown key; should one slip through (a cast, stored data), show the key, not crash.
  const text: string | undefined = catalogues[resolveLocale(locale)][key];
  if (text === undefined) return key;
  const params = args[0] as Record<string, string | number> | undefined;
  if (params === undefined) return text;
  return text.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = params[name];
    return value === undefined ? placeholder : String(value);
  });
}

/** A function of the key alone, bound to one locale. */
export type Translator = <Key extends MessageKey>(key: Key, ...args: MessageArgs<Key>) => string;

export function createTranslator(locale: string): Translator {
  const resolved = resolveLocale(locale);
  return (key, ...args) => t(resolved, key, ...args);
}
