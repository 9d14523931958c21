import { describe, expect, it } from 'vitest';
import {
  SUPPORTED_LOCALES,
  catalogueFor,
  createTranslator,
  resolveLocale,
  t,
  type MessageKey,
} from '../../../src/i18n/index.js';

const english = catalogueFor('en-US');
const chinese = catalogueFor('zh-CN');

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '').sort();
}

/** Messages that are the same in every language (symbols and punctuation). */
const LANGUAGE_NEUTRAL = new Set<MessageKey>([
  'progress.percent',
  'value.none',
  'duration.separator',
  'list.separator',
]);

describe('message catalogue', () => {
  it('has the same keys in every locale', () => {
    const keys = Object.keys(english).sort();
    for (const locale of SUPPORTED_LOCALES) expect(Object.keys(catalogueFor(locale)).sort()).toEqual(keys);
  });

  it('uses the same placeholders for a key in every locale', () => {
    for (const key of Object.keys(english) as MessageKey[]) {
      expect({ key, params: placeholders(chinese[key]) }).toEqual({
        key,
        params: placeholders(english[key]),
      });
    }
  });

  it('has a zh-CN text in Chinese for every message with words in it', () => {
    for (const key of Object.keys(chinese) as MessageKey[]) {
      if (LANGUAGE_NEUTRAL.has(key)) continue;
      expect({ key, text: chinese[key] }).toEqual({ key, text: expect.stringMatching(/\p{Script=Han}/u) });
    }
  });

  it('has no empty message', () => {
    for (const locale of SUPPORTED_LOCALES) {
      for (const [key, text] of Object.entries(catalogueFor(locale))) {
        if (key === 'duration.separator') continue;
        expect({ key, text: text.trim() }).not.toEqual({ key, text: '' });
      }
    }
  });
});

describe('t', () => {
  it('fills placeholders, in each locale', () => {
    expect(t('en-US', 'reply.listTitle', { count: 3 })).toBe('Tracked in this channel (3)');
    expect(t('zh-CN', 'reply.listTitle', { count: 3 })).toBe('本频道跟踪的任务（3）');
    expect(t('en-US', 'error.unexpected')).toBe('Something went wrong on our side. Try again later.');
  });

  it('accepts Discord locale codes and falls back to English', () => {
    expect(t('de', 'status.queued')).toBe('Queued');
    expect(t('zh-TW', 'status.queued')).toBe('排队中');
    expect(createTranslator('zh-CN')('status.completed')).toBe('已完成');
  });

  it('inserts parameter values literally', () => {
    expect(t('en-US', 'reply.untracked', { taskId: '{count} $& $1' })).toBe(
      'Stopped tracking {count} $& $1 in this channel.',
    );
  });

  it('rejects missing or unknown keys and params at compile time', () => {
    // @ts-expect-error: a key that no catalogue has
    expect(t('en-US', 'no.such.key')).toBe('no.such.key');
    // @ts-expect-error: reply.tracked needs taskId and messageUrl
    expect(t('en-US', 'reply.tracked')).toContain('{taskId}');
    // @ts-expect-error: messageUrl is missing
    expect(t('en-US', 'reply.tracked', { taskId: 'a' })).toContain('{messageUrl}');
  });
});

describe('resolveLocale', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['en-US', 'en-US'],
    ['en-GB', 'en-US'],
    ['ja', 'en-US'],
    ['', 'en-US'],
    ['nonsense', 'en-US'],
  ] as const)('%s → %s', (discordLocale, expected) => {
    expect(resolveLocale(discordLocale)).toBe(expected);
  });
});
