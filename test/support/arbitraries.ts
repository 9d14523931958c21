/**
 * Hostile video API bodies for property-based tests: every field the normaliser reads
 * (src/video-api/normalize.ts), at every level it reads them, given random JSON, wrong types,
 * huge strings, deep nesting and numbers out of range — and the invariants a snapshot must keep.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { renderProgressMessage, renderStatusReply } from '../../src/render/index.js';
import { storedTaskSchema, taskToStored } from '../../src/store/records.js';
import type { VideoSnapshot } from '../../src/domain/video.js';

const STATUS_WORDS = [
  'queued',
  'pending',
  'submitted',
  'NOT_START',
  'in_progress',
  'processing',
  'RUNNING',
  'completed',
  'succeeded',
  'SUCCESS',
  'failed',
  'FAILURE',
  'cancelled',
  'error',
  'unknown',
  '',
  ' ',
  'ÜNKNOWN',
];

/** Nested `{"message":{"message":…}}` (error envelopes nest that way) or `[[[…]]]`, `depth` levels deep. */
function nested(depth: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = kind === 'object' ? { message: value } : [value];
  return value;
}

/** Any value a careless or hostile relay could put in a field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.constantFrom(...STATUS_WORDS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    8.64e15 + 1,
    1e12,
    1e13,
    -1,
    0,
    0.5,
    1.0000001,
    99.999,
    101,
    '1e400',
    '99999999999999999999',
    '30%',
    '  42 ',
    'NaN',
    '-5',
    '2026-13-45T99:99:99Z',
    '1712345678',
    'http://127.0.0.1/ok.mp4',
    'javascript:alert(1)',
    `https://example.com/${'a'.repeat(5_000)}`,
  ),
  fc.integer({ min: 1, max: 3 }).map((n) => 'x'.repeat(n * 40_000)),
  fc
    .integer({ min: 5, max: 400 })
    .chain((depth) => fc.constantFrom('object', 'array').map((kind) => nested(depth, kind))),
);

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });

const pendingInfo = fc.record(
  {
    status: hostileValue,
    progress_pct: hostileValue,
    prompt: hostileValue,
    created_at: hostileValue,
    failure_reason: hostileValue,
    progress_pos_in_queue: hostileValue,
    estimated_queue_wait_time: hostileValue,
    width: hostileValue,
    height: hostileValue,
    generations: fc.oneof(
      hostileValue,
      fc.array(fc.record({ url: hostileValue, downloadable_url: hostileValue })),
    ),
    kind: hostileValue,
    moderation_result: fc.oneof(hostileValue, fc.record({ type: hostileValue })),
  },
  { requiredKeys: [] },
);

const detail = fc.record(
  {
    status: hostileValue,
    pending_info: fc.oneof(hostileValue, pendingInfo),
    progress_pct: hostileValue,
    input: fc.oneof(
      hostileValue,
      fc.record({ prompt: hostileValue, size: hostileValue }, { requiredKeys: [] }),
    ),
    enhanced_prompt: hostileValue,
    created_at: hostileValue,
    failure_reason: hostileValue,
    progress_pos_in_queue: hostileValue,
    kind: hostileValue,
    moderation_result: fc.oneof(hostileValue, fc.record({ type: hostileValue })),
  },
  { requiredKeys: [] },
);

/** A task body with any subset of the fields the normaliser reads, each hostile. */
export const hostileTaskBody: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      status: hostileValue,
      state: hostileValue,
      detail: fc.oneof(hostileValue, detail),
      pending_info: fc.oneof(hostileValue, pendingInfo),
      progress: hostileValue,
      progress_pct: hostileValue,
      video_url: hostileValue,
      url: hostileValue,
      metadata: fc.oneof(hostileValue, fc.record({ url: hostileValue })),
      meta_data: fc.oneof(hostileValue, fc.record({ url: hostileValue })),
      result_url: hostileValue,
      error: fc.oneof(
        hostileValue,
        fc.record({ message: hostileValue, code: hostileValue }, { requiredKeys: [] }),
      ),
      failure_reason: hostileValue,
      fail_reason: hostileValue,
      model: hostileValue,
      size: hostileValue,
      seconds: hostileValue,
      duration: hostileValue,
      prompt: hostileValue,
      enhanced_prompt: hostileValue,
      created_at: hostileValue,
      created: hostileValue,
      submit_time: hostileValue,
      completed_at: hostileValue,
      finished_at: hostileValue,
      finish_time: hostileValue,
      expires_at: hostileValue,
      status_update_time: hostileValue,
      updated_at: hostileValue,
      progress_pos_in_queue: hostileValue,
      queue_position: hostileValue,
      estimated_queue_wait_time: hostileValue,
      code: hostileValue,
      kind: hostileValue,
      moderation_result: fc.oneof(hostileValue, fc.record({ type: hostileValue })),
    },
    { requiredKeys: [] },
  )
  // new-api's legacy envelope wraps the same task in `data`.
  .chain((body) => fc.constantFrom(body, { code: 'success', data: body }));

export const previousProgress = optional(fc.integer({ min: 0, max: 100 }));

const validDate = (date: Date | undefined) => date === undefined || Number.isFinite(date.getTime());

/**
 * What every snapshot must be, whatever the body: one of four statuses, progress a whole percentage
 * that never goes back, links only http(s), texts clipped, numbers finite — storable as a record and
 * renderable within Discord's limits, so a poll can never get stuck on it.
 */
export function expectSoundSnapshot(
  snapshot: VideoSnapshot,
  context: { previousProgress?: number | undefined; secret: string },
): void {
  expect(['queued', 'in_progress', 'completed', 'failed']).toContain(snapshot.status);
  expect(typeof snapshot.rawStatus).toBe('string');
  if (snapshot.progress !== undefined) {
    expect(Number.isInteger(snapshot.progress)).toBe(true);
    expect(snapshot.progress).toBeGreaterThanOrEqual(context.previousProgress ?? 0);
    expect(snapshot.progress).toBeLessThanOrEqual(100);
  } else {
    expect(context.previousProgress).toBeUndefined();
  }
  if (snapshot.videoUrl !== undefined) expect(new URL(snapshot.videoUrl).protocol).toMatch(/^https?:$/);
  expect(snapshot.failure !== undefined).toBe(snapshot.status === 'failed');
  if (snapshot.failure) {
    expect(snapshot.failure.reason.length).toBeLessThanOrEqual(300);
    expect(snapshot.failure.reason).not.toContain(context.secret);
  }
  expect((snapshot.model ?? '').length).toBeLessThanOrEqual(100);
  // `WxH` in whole pixels, or a label clipped to 40 characters.
  if (snapshot.size !== undefined) expect(snapshot.size).toMatch(/^(\d{1,16}x\d{1,16}|[^]{1,40})$/);
  if (snapshot.queuePosition !== undefined) expect(Number.isSafeInteger(snapshot.queuePosition)).toBe(true);
  for (const value of [snapshot.durationSeconds, snapshot.queuePosition, snapshot.estimatedWaitSeconds]) {
    if (value !== undefined) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
  }
  for (const date of [snapshot.createdAt, snapshot.completedAt, snapshot.expiresAt, snapshot.statusUpdatedAt])
    expect(validDate(date)).toBe(true);

  // The store takes it (a snapshot it refused would fail every poll of the task from then on).
  const stored = storedTaskSchema.safeParse(
    taskToStored({
      v: 1,
      id: snapshot.id,
      state: 'active',
      snapshot,
      trackedAt: 0,
      lastChangeAt: 0,
      channelIds: ['1'],
    }),
  );
  expect(stored.success, stored.success ? '' : JSON.stringify(stored.error.issues.slice(0, 3))).toBe(true);

  // And Discord would take what is rendered from it.
  const now = Date.UTC(2026, 0, 1);
  const payloads = [
    renderProgressMessage(
      {
        locale: 'en-US',
        taskId: snapshot.id,
        snapshot,
        requesterId: '123456789012345678',
        trackedAt: now - 60_000,
        lastUpdateAt: now,
        tracking: { state: 'active' },
      },
      now,
    ),
    renderStatusReply(snapshot, 'zh-CN', now),
  ];
  for (const payload of payloads) {
    for (const embed of payload.embeds) {
      const fields = embed.fields ?? [];
      const total =
        (embed.title?.length ?? 0) +
        (embed.description?.length ?? 0) +
        (embed.footer?.text.length ?? 0) +
        fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
      expect(total).toBeLessThanOrEqual(6000);
      expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
      expect(fields.length).toBeLessThanOrEqual(25);
      for (const field of fields) {
        expect(field.value.length).toBeLessThanOrEqual(1024);
        expect(field.value.trim()).not.toBe('');
      }
      expect(JSON.stringify(embed)).not.toMatch(/@everyone|@here/);
    }
  }
}
