import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeVideo } from '../../../src/video-api/normalize.js';
import {
  expectSoundSnapshot,
  hostileTaskBody,
  hostileValue,
  previousProgress,
} from '../../support/arbitraries.js';

/**
 * The normaliser reads whatever a relay sends. Over thousands of random bodies — random JSON, wrong
 * types in every field it reads, huge strings, deep nesting, numbers out of range — it never throws, and
 * every snapshot it returns is sound: storable, renderable within Discord's limits, free of our key.
 */
const SECRET = 'sk-property-test-secret-0123456789';

describe('normalizeVideo over hostile bodies', () => {
  it('never throws, and every snapshot is sound, for bodies with hostile values in every field it reads', () => {
    fc.assert(
      fc.property(hostileTaskBody, previousProgress, (body, previous) => {
        const { snapshot } = normalizeVideo(body, {
          id: 'video_property',
          previous: previous === undefined ? undefined : { progress: previous },
          secrets: [SECRET],
        });
        expectSoundSnapshot(snapshot, { previousProgress: previous, secret: SECRET });
      }),
      { numRuns: 1_000 },
    );
  });

  it('never throws for any JSON document at all, or a non-object', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 6 }), hostileValue), (raw) => {
        const { snapshot } = normalizeVideo(raw, { id: 'video_property', secrets: [SECRET] });
        expectSoundSnapshot(snapshot, { secret: SECRET });
      }),
      { numRuns: 1_000 },
    );
  });

  it('drops numbers past what a count can be instead of showing them (found by the property above)', () => {
    const { snapshot } = normalizeVideo(
      {
        status: 'queued',
        queue_position: 1e300,
        detail: { pending_info: { width: 10_000_000_000_000_000, height: 1.0000000669213762e100 } },
      },
      { id: 'video_property' },
    );
    expect(snapshot.size).toBeUndefined();
    expect(snapshot.queuePosition).toBeUndefined();
  });

  it('keeps our key out of a failure reason however the relay quotes it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (before, after) => {
        const { snapshot } = normalizeVideo(
          { status: 'failed', error: { message: `${before}${SECRET}${after}` } },
          { id: 'video_property', secrets: [SECRET] },
        );
        expect(snapshot.failure?.reason).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
  });
});
