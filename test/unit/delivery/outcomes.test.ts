import { describe, expect, it } from 'vitest';
import type { ResultContent } from '../../../src/delivery/delivery.js';
import { contentAfterRefusal, dmAfterSend, subscriptionAfterPost } from '../../../src/delivery/outcomes.js';
import { MiB, PUBLIC_URL, downloadedFile, endedTask } from './fixtures.js';
import { DEFAULT_NOT_READY_BACKOFF, recordDownload } from '../../../src/delivery/video-wait.js';

const attached: ResultContent = {
  kind: 'attached',
  video: { path: '/tmp/v.mp4', bytes: 6 * MiB, contentType: 'video/mp4' },
};
const linked: ResultContent = { kind: 'linked', url: PUBLIC_URL, bytes: 6 * MiB, why: 'too_large' };

describe('a refused upload', () => {
  it('is posted again with the link', () => {
    expect(contentAfterRefusal(endedTask(), attached, { kind: 'too_large' }, 10 * MiB)).toEqual(linked);
  });

  it('is explained without a link, below the size that was refused', () => {
    const task = endedTask({ snapshot: { ...endedTask().snapshot!, videoUrl: undefined } });
    expect(contentAfterRefusal(task, attached, { kind: 'too_large' }, 10 * MiB)).toEqual({
      kind: 'too_large_no_link',
      bytes: 6 * MiB,
      limitBytes: 6 * MiB - 1,
    });
  });

  it('any other answer is not a reason to send something else', () => {
    for (const outcome of [{ kind: 'failed' }, { kind: 'channel_lost' }, { kind: 'closed' }] as const)
      expect(contentAfterRefusal(endedTask(), attached, outcome, 10 * MiB)).toBeUndefined();
  });
});

describe('what a result post records on its subscription', () => {
  it('posted: the message, how the video went, and when, under the nonce used', () => {
    expect(subscriptionAfterPost({ kind: 'posted', messageId: 'm1' }, attached, 'n1', 42)).toEqual({
      delivery: { state: 'posted', nonce: 'n1', resultMessageId: 'm1', mode: 'attached', postedAt: 42 },
    });
    expect(subscriptionAfterPost({ kind: 'posted', messageId: 'm1' }, linked, 'n1', 42)?.delivery?.mode).toBe(
      'linked',
    );
    const explained = subscriptionAfterPost(
      { kind: 'posted', messageId: 'm1' },
      { kind: 'expired' },
      'n1',
      42,
    );
    expect(explained?.delivery?.mode).toBe('explained');
  });

  it('a lost channel: the subscription is dropped and its delivery failed for good', () => {
    expect(subscriptionAfterPost({ kind: 'channel_lost' }, attached, 'n1', 42)).toEqual({
      state: 'channel_lost',
      delivery: { state: 'failed', nonce: 'n1' },
    });
  });

  it('a failure records nothing: the post is retried with the same nonce', () => {
    expect(subscriptionAfterPost({ kind: 'failed' }, attached, 'n1', 42)).toBeUndefined();
    expect(subscriptionAfterPost({ kind: 'too_large' }, attached, 'n1', 42)).toBeUndefined();
  });
});

describe('what a DM records', () => {
  const pending = { state: 'pending', nonce: 'd1', at: 1 } as const;

  it('sent, with its message; closed DMs are recorded so they are never retried', () => {
    expect(dmAfterSend({ kind: 'sent', messageId: 'dm1' }, pending, 9)).toEqual({
      state: 'sent',
      nonce: 'd1',
      at: 9,
      messageId: 'dm1',
    });
    expect(dmAfterSend({ kind: 'closed' }, pending, 9)).toEqual({ state: 'closed', nonce: 'd1', at: 9 });
  });

  it('nothing for a failure, so it is retried', () => {
    expect(dmAfterSend({ kind: 'failed' }, pending, 9)).toBeUndefined();
    expect(dmAfterSend({ kind: 'too_large' }, pending, 9)).toBeUndefined();
  });
});

describe('the record of the one download (video-wait.ts)', () => {
  it('done with its size, skipped when only the size was learnt, failed with a short reason', () => {
    expect(recordDownload(downloadedFile(3 * MiB), 5, undefined, DEFAULT_NOT_READY_BACKOFF)).toEqual({
      state: 'done',
      at: 5,
      bytes: 3 * MiB,
    });
    expect(
      recordDownload(
        { kind: 'too_large', bytes: 40 * MiB, publicUrl: undefined },
        5,
        undefined,
        DEFAULT_NOT_READY_BACKOFF,
      ),
    ).toEqual({
      state: 'skipped',
      at: 5,
      bytes: 40 * MiB,
    });
    expect(
      recordDownload(
        { kind: 'too_large', bytes: undefined, publicUrl: undefined },
        5,
        undefined,
        DEFAULT_NOT_READY_BACKOFF,
      ),
    ).toEqual({
      state: 'skipped',
      at: 5,
    });
    expect(recordDownload('expired', 5, undefined, DEFAULT_NOT_READY_BACKOFF)).toEqual({
      state: 'failed',
      at: 5,
      reason: 'expired',
    });
  });
});
