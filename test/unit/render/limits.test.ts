import { describe, expect, it } from 'vitest';
import { clip, fitEmbed } from '../../../src/render/index.js';
import { expectWithinDiscordLimits } from './fixtures.js';

describe('clip', () => {
  it('keeps short text and ends shortened text with an ellipsis within the limit', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('abcdefghij', 5)).toBe('abcd…');
  });

  it('never splits a surrogate pair', () => {
    const clipped = clip('😀😀😀', 4);
    expect(clipped.length).toBeLessThanOrEqual(4);
    expect(clipped).toBe('😀…');
  });
});

describe('fitEmbed', () => {
  it('brings an oversized embed within every limit', () => {
    const embed = fitEmbed({
      title: 't'.repeat(1000),
      description: 'd'.repeat(10_000),
      footer: { text: 'f'.repeat(5000) },
      fields: Array.from({ length: 40 }, (_, i) => ({ name: `field ${i}`, value: 'v'.repeat(3000) })),
    });
    expectWithinDiscordLimits({ embeds: [embed] });
    expect(embed.fields).toHaveLength(25);
    expect(embed.title).toBe(`${'t'.repeat(255)}…`);
  });

  it('drops trailing fields when their names alone are too long', () => {
    const embed = fitEmbed({
      fields: Array.from({ length: 25 }, (_, i) => ({ name: `${i}`.padEnd(300, 'n'), value: 'v' })),
    });
    expectWithinDiscordLimits({ embeds: [embed] });
    expect(embed.fields?.[0]?.name.startsWith('0')).toBe(true);
  });

  it('leaves an embed within limits untouched', () => {
    const embed = { title: 'a', description: 'b', fields: [{ name: 'c', value: 'd' }] };
    expect(fitEmbed(embed)).toEqual(embed);
  });
});
