export { DEFAULT_LOCALE, SUPPORTED_LOCALES, resolveLocale, type SupportedLocale } from './locales.js';
export { t, createTranslator, catalogueFor, type Translator } from './translate.js';
export type { MessageKey, MessageArgs, MessageParams, Placeholders } from './catalogue.js';
export { formatDuration, formatElapsed, formatRelative, formatApproximate } from './durations.js';
