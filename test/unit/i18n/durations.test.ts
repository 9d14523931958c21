import { describe, expect, it } from 'vitest';
import {
  createTranslator,
  formatApproximate,
  formatDuration,
  formatElapsed,
  formatRelative,
} from '../../../src/i18n/index.js';

const en = createTranslator('en-US');
const zh = createTranslator('zh-CN');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatDuration', () => {
  it.each([
    [0, '0s', '0 秒'],
    [999, '0s', '0 秒'],
    [8 * S, '8s', '8 秒'],
    [3 * M + 20 * S, '3m 20s', '3 分钟 20 秒'],
    [H, '1h', '1 小时'],
    [H + 5 * M + 9 * S, '1h 5m', '1 小时 5 分钟'],
    [2 * D + 3 * H, '2d 3h', '2 天 3 小时'],
    [D + 30 * S, '1d', '1 天'],
  ])('%d ms → %s / %s', (ms, english, chinese) => {
    expect(formatDuration(en, ms)).toBe(english);
    expect(formatDuration(zh, ms)).toBe(chinese);
  });

  it('treats negative and non-finite durations as zero', () => {
    expect(formatDuration(en, -5000)).toBe('0s');
    expect(formatDuration(en, Number.NaN)).toBe('0s');
  });

  it('can show more units', () => {
    expect(formatDuration(en, H + 5 * M + 9 * S, 3)).toBe('1h 5m 9s');
  });
});

describe('formatElapsed and formatRelative', () => {
  it('measures time gone by, never negative', () => {
    expect(formatElapsed(en, 0, 90 * S)).toBe('1m 30s');
    expect(formatElapsed(en, 90 * S, 0)).toBe('0s');
  });

  it('says past and future in each language', () => {
    expect(formatRelative(en, 0, 5 * M)).toBe('5m ago');
    expect(formatRelative(en, 5 * M, 0)).toBe('in 5m');
    expect(formatRelative(zh, 0, 5 * M)).toBe('5 分钟前');
    expect(formatRelative(zh, 5 * M, 0)).toBe('5 分钟后');
  });
});

describe('formatApproximate', () => {
  it('rounds to whole minutes so small drifts look the same', () => {
    expect(formatApproximate(en, 118)).toBe(formatApproximate(en, 125));
    expect(formatApproximate(en, 125)).toBe('about 2m');
    expect(formatApproximate(zh, 30)).toBe('不到 1 分钟');
    expect(formatApproximate(en, 2 * 3600 + 10 * 60)).toBe('about 2h 10m');
  });
});
