import type { APIEmbed } from 'discord.js';
import { expect } from 'vitest';
import type { ProgressView } from '../../../src/render/index.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';

export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const REQUESTER = '123456789012345678';

export function snapshot(overrides: Partial<VideoSnapshot> = {}): VideoSnapshot {
  return {
    id: 'video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5',
    status: 'in_progress',
    rawStatus: 'in_progress',
    progress: 40,
    videoUrl: undefined,
    failure: undefined,
    model: 'sora-2',
    size: '1280x720',
    durationSeconds: 8,
    prompt: 'A calico cat surfing a wave at sunset',
    enhancedPrompt: undefined,
    createdAt: new Date(NOW - 5 * 60_000),
    completedAt: undefined,
    expiresAt: undefined,
    statusUpdatedAt: undefined,
    queuePosition: undefined,
    estimatedWaitSeconds: undefined,
    ...overrides,
  };
}

export function view(overrides: Partial<ProgressView> = {}): ProgressView {
  return {
    locale: 'en-US',
    taskId: 'video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5',
    snapshot: snapshot(),
    requesterId: REQUESTER,
    trackedAt: NOW - 4 * 60_000,
    lastUpdateAt: NOW - 30_000,
    tracking: { state: 'active' },
    ...overrides,
  };
}

/** Every text of an embed that Discord counts, concatenated. */
export function embedText(embed: APIEmbed): string {
  return [
    embed.title,
    embed.description,
    embed.footer?.text,
    embed.author?.name,
    ...(embed.fields ?? []).flatMap((field) => [field.name, field.value]),
  ]
    .filter((part) => part !== undefined)
    .join('\n');
}

/**
 * Discord's documented limits (docs/discord-limits.md#message-and-embed-limits), written out here rather than taken from src so that a
 * wrong constant in the renderer cannot make its own test pass.
 */
export function expectWithinDiscordLimits(payload: { content?: string; embeds?: APIEmbed[] }): void {
  if (payload.content !== undefined) expect(payload.content.length).toBeLessThanOrEqual(2000);
  const embeds = payload.embeds ?? [];
  expect(embeds.length).toBeLessThanOrEqual(10);
  let total = 0;
  for (const embed of embeds) {
    expect(embed.title?.length ?? 0).toBeLessThanOrEqual(256);
    expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
    expect(embed.footer?.text.length ?? 0).toBeLessThanOrEqual(2048);
    expect(embed.author?.name.length ?? 0).toBeLessThanOrEqual(256);
    const fields = embed.fields ?? [];
    expect(fields.length).toBeLessThanOrEqual(25);
    for (const field of fields) {
      expect(field.name.length).toBeLessThanOrEqual(256);
      expect(field.value.length).toBeLessThanOrEqual(1024);
      // Discord trims whitespace and rejects an empty name or value.
      expect(field.name.trim()).not.toBe('');
      expect(field.value.trim()).not.toBe('');
    }
    total +=
      (embed.title?.length ?? 0) +
      (embed.description?.length ?? 0) +
      (embed.footer?.text.length ?? 0) +
      (embed.author?.name.length ?? 0) +
      fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
  }
  expect(total).toBeLessThanOrEqual(6000);
}

/** No text that would ping if mentions were parsed: only the given user ids may appear as `<@id>`. */
export function expectNoLiveMentions(payload: unknown, allowedUserIds: readonly string[] = []): void {
  const json = JSON.stringify(payload);
  expect(json).not.toMatch(/@(everyone|here)/i);
  const mentioned = [...json.matchAll(/<@[!&]?(\d+)>/g)].map((match) => match[0]);
  for (const mention of mentioned) expect(allowedUserIds.map((id) => `<@${id}>`)).toContain(mention);
}

/** Has Chinese characters (CJK Unified Ideographs). */
export const CHINESE = /\p{Script=Han}/u;
