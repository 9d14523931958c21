import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, type UploadLimits } from '../../../src/delivery/delivery.js';
import {
  deliverySteps,
  isDeliveryComplete,
  planDelivery,
  type DeliveryPlan,
  type DeliveryWork,
} from '../../../src/delivery/plan.js';
import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import {
  ALICE,
  BOB,
  CHANNEL_A,
  CHANNEL_B,
  MiB,
  PUBLIC_URL,
  downloadedFile,
  endedTask,
  subscription,
} from './fixtures.js';

/** Channels take `uploadLimitBytes` (10 MiB by default); DMs 8 MiB, so the two are told apart. */
const limits: UploadLimits = {
  channelUploadLimit: (sub) => sub.uploadLimitBytes ?? 10 * MiB,
  dmUploadLimit: 8 * MiB,
};

function work(plan: DeliveryPlan): DeliveryWork {
  if (plan.kind !== 'deliver') throw new Error(`expected work, got ${plan.kind}`);
  return plan;
}

const channelsOf = (plan: DeliveryPlan) => work(plan).channels.map((c) => c.subscription.channelId);
const dmsOf = (plan: DeliveryPlan) => work(plan).dms.map((d) => d.userId);

function twoChannels(a: Partial<SubscriptionRecord> = {}, b: Partial<SubscriptionRecord> = {}) {
  const task = endedTask({ channelIds: [CHANNEL_A, CHANNEL_B] });
  return { task, subs: [subscription(a), subscription({ channelId: CHANNEL_B, ...b })] };
}

describe('what is owed for an ended task', () => {
  it('a result for every channel following the task, none for one already posted', () => {
    const { task, subs } = twoChannels(
      {},
      { delivery: { state: 'posted', nonce: 'n', resultMessageId: 'r' } },
    );
    expect(channelsOf(planDelivery(task, subs, limits))).toEqual([CHANNEL_A]);
  });

  it('a channel whose earlier post failed or is pending is owed its result again', () => {
    const { task, subs } = twoChannels(
      { delivery: { state: 'pending', nonce: 'n1' } },
      { delivery: { state: 'failed', nonce: 'n2' } },
    );
    expect(channelsOf(planDelivery(task, subs, limits))).toEqual([CHANNEL_A, CHANNEL_B]);
  });

  it('channels lost, stopped or no longer following the task are skipped', () => {
    const task = endedTask({ channelIds: [CHANNEL_A, CHANNEL_B] });
    const subs = [
      subscription({ state: 'channel_lost' }),
      subscription({ channelId: CHANNEL_B, state: 'stopped' }),
      subscription({ channelId: '200000000000000003' }),
    ];
    expect(planDelivery(task, subs, limits)).toEqual({ kind: 'finish' });
  });

  it('DMs only the users who asked, each once, however many channels asked for them', () => {
    const { task, subs } = twoChannels({ notifyUserIds: [ALICE] }, { notifyUserIds: [ALICE, BOB] });
    const plan = planDelivery(task, subs, limits);
    expect(dmsOf(plan)).toEqual([ALICE, BOB]);
    // Each DM links the result of the first channel that asked for it.
    expect(work(plan).dms.map((d) => d.subscription.channelId)).toEqual([CHANNEL_A, CHANNEL_B]);
  });

  it('no DM when nobody asked', () => {
    expect(dmsOf(planDelivery(endedTask(), [subscription()], limits))).toEqual([]);
  });

  it('the requester is written to in their own locale, anyone else in the channel’s', () => {
    const sub = subscription({ notifyUserIds: [ALICE, BOB], locale: 'fr', requesterLocale: 'ja' });
    const plan = planDelivery(endedTask(), [sub], limits);
    expect(work(plan).dms.map((d) => [d.userId, d.locale])).toEqual([
      [ALICE, 'ja'],
      [BOB, 'fr'],
    ]);
  });

  it('a DM sent, refused for good or another shard’s is not sent again; one that failed or is pending is', () => {
    const sub = subscription({
      notifyUserIds: ['u-sent', 'u-closed', 'u-elsewhere', 'u-failed', 'u-pending'],
    });
    const task = endedTask({
      delivery: {
        dms: {
          'u-sent': { state: 'sent', nonce: 'a', at: 1 },
          'u-closed': { state: 'closed', nonce: 'b', at: 1 },
          'u-elsewhere': { state: 'elsewhere', nonce: 'e', at: 1 },
          'u-failed': { state: 'failed', nonce: 'c', at: 1 },
          'u-pending': { state: 'pending', nonce: 'd', at: 1 },
        },
      },
    });
    expect(dmsOf(planDelivery(task, [sub], limits))).toEqual(['u-failed', 'u-pending']);
  });

  it('everything posted and sent: delivery is finished', () => {
    const sub = subscription({
      notifyUserIds: [ALICE],
      delivery: { state: 'posted', nonce: 'n', resultMessageId: 'r' },
    });
    const task = endedTask({ delivery: { dms: { [ALICE]: { state: 'sent', nonce: 'd', at: 1 } } } });
    expect(planDelivery(task, [sub], limits)).toEqual({ kind: 'finish' });
  });

  it('waits for a channel whose progress message is not posted yet, rather than finishing without it', () => {
    const { task, subs } = twoChannels(
      { delivery: { state: 'posted', nonce: 'n', resultMessageId: 'r' } },
      { messageId: undefined, notifyUserIds: [BOB] },
    );
    expect(planDelivery(task, subs, limits)).toEqual({ kind: 'wait' });
  });

  it('a task that ended without a result posts nothing in channels and downloads nothing, but DMs', () => {
    const task = endedTask({ endReason: 'not_found' });
    const plan = planDelivery(task, [subscription({ notifyUserIds: [ALICE] })], limits);
    expect(work(plan)).toMatchObject({ postsResults: false, channels: [], download: undefined });
    expect(dmsOf(plan)).toEqual([ALICE]);
    expect(planDelivery(task, [subscription()], limits)).toEqual({ kind: 'finish' });
  });

  it('a failed task posts its result but has no video to download', () => {
    const plan = planDelivery(endedTask({ endReason: 'failed' }), [subscription()], limits);
    expect(channelsOf(plan)).toEqual([CHANNEL_A]);
    expect(work(plan).download).toBeUndefined();
  });

  it('downloads once, at most as much as the largest place can take, never above one request', () => {
    const { task, subs } = twoChannels({ uploadLimitBytes: 3 * MiB }, { uploadLimitBytes: 5 * MiB });
    expect(work(planDelivery(task, subs, limits)).download).toEqual({ maxBytes: 5 * MiB });

    const big = twoChannels({ uploadLimitBytes: 100 * MiB });
    const plan = work(planDelivery(big.task, big.subs, limits));
    expect(plan.download).toEqual({ maxBytes: MAX_REQUEST_BYTES });
    expect(plan.channels[0]?.limit).toBe(MAX_REQUEST_BYTES);
  });

  it('counts the DM limit only when a DM is owed', () => {
    const small = { uploadLimitBytes: 1 * MiB };
    const noDm = planDelivery(endedTask(), [subscription(small)], limits);
    expect(work(noDm).download).toEqual({ maxBytes: 1 * MiB });
    const withDm = planDelivery(endedTask(), [subscription({ ...small, notifyUserIds: [ALICE] })], limits);
    expect(work(withDm).download).toEqual({ maxBytes: 8 * MiB });
  });
});

describe('what each place is sent', () => {
  const plan = (task: TaskRecord, sub = subscription({ notifyUserIds: [ALICE] })) =>
    work(planDelivery(task, [sub], limits));

  it('the file, attached, where it fits', () => {
    const task = endedTask();
    const steps = deliverySteps(task, plan(task), downloadedFile(2 * MiB));
    expect(steps.map((s) => [s.kind, s.content.kind])).toEqual([
      ['post', 'attached'],
      ['dm', 'attached'],
    ]);
    expect(steps[0]?.content).toEqual({
      kind: 'attached',
      video: { path: '/tmp/video_deliver.mp4', bytes: 2 * MiB, contentType: 'video/mp4' },
    });
  });

  it('the link where the file is too large, with its size; the download’s own link first', () => {
    const task = endedTask();
    // 9 MiB fits the channel (10 MiB) but not a DM (8 MiB).
    const steps = deliverySteps(task, plan(task), downloadedFile(9 * MiB, 'https://cdn.example/signed'));
    expect(steps.map((s) => s.content)).toEqual([
      expect.objectContaining({ kind: 'attached' }),
      { kind: 'linked', url: 'https://cdn.example/signed', bytes: 9 * MiB, why: 'too_large' },
    ]);
  });

  it('the task’s link when the download stopped at the size, or an explanation without a link', () => {
    const tooLarge = { kind: 'too_large', bytes: 30 * MiB, publicUrl: undefined } as const;
    const task = endedTask();
    expect(deliverySteps(task, plan(task), tooLarge)[0]?.content).toEqual({
      kind: 'linked',
      url: PUBLIC_URL,
      bytes: 30 * MiB,
      why: 'too_large',
    });
    const noLink = endedTask({ snapshot: { ...task.snapshot!, videoUrl: undefined } });
    expect(deliverySteps(noLink, plan(noLink), tooLarge)[0]?.content).toEqual({
      kind: 'too_large_no_link',
      bytes: 30 * MiB,
      limitBytes: 10 * MiB,
    });
  });

  it('the link when the download failed or the file expired, an explanation without one', () => {
    const task = endedTask();
    const linked = { kind: 'linked', url: PUBLIC_URL, bytes: undefined, why: 'download_failed' };
    expect(deliverySteps(task, plan(task), 'failed')[0]?.content).toEqual(linked);
    expect(deliverySteps(task, plan(task), 'expired')[0]?.content).toEqual(linked);

    const noLink = endedTask({ snapshot: { ...task.snapshot!, videoUrl: undefined } });
    expect(deliverySteps(noLink, plan(noLink), 'failed')[0]?.content).toEqual({
      kind: 'download_failed_no_link',
    });
    expect(deliverySteps(noLink, plan(noLink), 'expired')[0]?.content).toEqual({ kind: 'expired' });
  });

  it('a failed task’s reason, and an ended one’s DM, whatever the download', () => {
    const failed = endedTask({ endReason: 'failed' });
    expect(deliverySteps(failed, plan(failed), undefined).map((s) => s.content.kind)).toEqual([
      'failed',
      'failed',
    ]);
    const ended = endedTask({ endReason: 'max_age' });
    expect(deliverySteps(ended, plan(ended), undefined).map((s) => [s.kind, s.content.kind])).toEqual([
      ['dm', 'ended'],
    ]);
  });

  it('channels before DMs, so a DM can link the result posted in its channel', () => {
    const { task, subs } = twoChannels({ notifyUserIds: [ALICE] }, {});
    const steps = deliverySteps(task, work(planDelivery(task, subs, limits)), 'failed');
    expect(steps.map((s) => s.kind)).toEqual(['post', 'post', 'dm']);
  });
});

describe('whether delivery is complete', () => {
  const posted = { delivery: { state: 'posted' as const, nonce: 'n', resultMessageId: 'r' } };

  it('once every following channel has its result and every DM owed was sent or refused', () => {
    const task = endedTask({ delivery: { dms: { [ALICE]: { state: 'closed', nonce: 'd', at: 1 } } } });
    const owed = { postsResults: true, dms: [{ userId: ALICE }] };
    expect(isDeliveryComplete(task, [subscription(posted)], owed)).toBe(true);
    expect(isDeliveryComplete(task, [subscription()], owed)).toBe(false);
    expect(isDeliveryComplete(endedTask(), [subscription(posted)], owed)).toBe(false);
  });

  it('not while a following channel still lacks its progress message; a lost channel does not count', () => {
    const owed = { postsResults: true, dms: [] };
    const task = endedTask({ channelIds: [CHANNEL_A, CHANNEL_B] });
    const missing = subscription({ channelId: CHANNEL_B, messageId: undefined });
    expect(isDeliveryComplete(task, [subscription(posted), missing], owed)).toBe(false);
    const lost = subscription({ channelId: CHANNEL_B, state: 'channel_lost' });
    expect(isDeliveryComplete(task, [subscription(posted), lost], owed)).toBe(true);
  });
});
