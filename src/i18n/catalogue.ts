import type { enUS } from './messages/en-US.js';

/** The reference catalogue's shape: every key, with its English text as a literal type. */
export type ReferenceCatalogue = typeof enUS;
export type MessageKey = keyof ReferenceCatalogue;

/** The `{name}` placeholders of a message text, as a union of names (never when there are none). */
export type Placeholders<Text extends string> = Text extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

/** What `t` needs for a key: one value per placeholder of its English text. */
export type MessageParams<Key extends MessageKey> = Record<
  Placeholders<ReferenceCatalogue[Key]>,
  string | number
>;

/** The rest-arguments of `t`: nothing for a message without placeholders, else its params. */
export type MessageArgs<Key extends MessageKey> = [Placeholders<ReferenceCatalogue[Key]>] extends [never]
  ? []
  : [params: MessageParams<Key>];

type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Each key of a translation must be a key of the reference and use exactly its placeholders; a key whose
 * placeholders differ becomes `never`, so the compiler points at that very entry.
 */
type CheckedTranslation<T> = {
  [Key in keyof T]: Key extends MessageKey
    ? T[Key] extends string
      ? SameUnion<Placeholders<T[Key]>, Placeholders<ReferenceCatalogue[Key]>> extends true
        ? T[Key]
        : never
      : never
    : never;
};

/**
 * Declares a translation of the reference catalogue. A missing key, an extra key or a message whose
 * `{placeholders}` differ from the English one is a compile error.
 */
export function defineTranslation<const T extends Record<MessageKey, string>>(
  messages: T & CheckedTranslation<T>,
): T {
  return messages;
}
