import { describe, expect, it } from 'vitest';
import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import { planTrack, type TrackSituation } from '../../../src/tracking/track-plan.js';
import type { TrackRequest } from '../../../src/tracking/tracker.js';
import { snapshot } from './doubles.js';

/** What a /sora track writes, given what the store holds about the task. */

const NOW = Date.UTC(2026, 0, 1);
const CHANNEL_A = '200000000000000001';
const CHANNEL_B = '200000000000000002';

const request = (overrides: Partial<TrackRequest> = {}): TrackRequest => ({
  taskId: 'video_abc',
  channelId: CHANNEL_B,
  guildId: '100000000000000001',
  requesterId: '300000000000000002',
  locale: 'en-US',
  requesterLocale: 'zh-CN',
  uploadLimitBytes: 10_000_000,
  notify: true,
  ...overrides,
});

const situation = (overrides: Partial<TrackSituation> = {}): TrackSituation => ({
  request: request(),
  taskId: 'video_abc',
  snapshot: snapshot('video_abc', { progress: 30 }),
  now: NOW,
  existingTask: undefined,
  existingSubscription: undefined,
  existingFinished: false,
  nonce: 'freshnonce',
  ...overrides,
});

const earlierTask = (overrides: Partial<TaskRecord> = {}): TaskRecord => ({
  v: 1,
  id: 'video_abc',
  state: 'active',
  snapshot: snapshot('video_abc'),
  trackedAt: NOW - 60_000,
  lastChangeAt: NOW - 30_000,
  lastPolledAt: NOW - 5_000,
  channelIds: [CHANNEL_A],
  ...overrides,
});

/** The subscription a crash during its create leaves: recorded, no message. */
const unpostedSubscription: SubscriptionRecord = {
  v: 1,
  taskId: 'video_abc',
  channelId: CHANNEL_B,
  requesterId: '300000000000000001',
  nonce: 'firstnonce',
  notifyUserIds: ['300000000000000001'],
  locale: 'en-US',
  requesterLocale: 'en-US',
  createdAt: NOW - 60_000,
  state: 'active',
};

describe('planTrack', () => {
  it('starts a new task in the channel with a new message', () => {
    const plan = planTrack(situation());
    expect(plan.task).toMatchObject({
      state: 'active',
      trackedAt: NOW,
      lastChangeAt: NOW,
      lastPolledAt: NOW,
      channelIds: [CHANNEL_B],
      snapshot: { progress: 30 },
    });
    expect(plan.subscription).toMatchObject({
      channelId: CHANNEL_B,
      guildId: '100000000000000001',
      requesterId: '300000000000000002',
      nonce: 'freshnonce',
      notifyUserIds: ['300000000000000002'],
      requesterLocale: 'zh-CN',
      uploadLimitBytes: 10_000_000,
      state: 'active',
    });
    expect(plan.pollAtOnce).toBe(false);
  });

  it('adds a channel to a running task, keeping when it was first tracked', () => {
    const plan = planTrack(situation({ existingTask: earlierTask() }));
    expect(plan.task).toMatchObject({ trackedAt: NOW - 60_000, channelIds: [CHANNEL_A, CHANNEL_B] });
  });

  it('redoes a create a crash cut short with its nonce, requester and notify list', () => {
    const plan = planTrack(
      situation({ existingTask: earlierTask(), existingSubscription: unpostedSubscription }),
    );
    expect(plan.subscription).toMatchObject({
      nonce: 'firstnonce',
      requesterId: '300000000000000001',
      notifyUserIds: ['300000000000000001', '300000000000000002'],
    });
  });

  it('joins the delivery of a task that ended and is not yet delivered, and polls it at once', () => {
    const ending = earlierTask({
      state: 'ended',
      endReason: 'completed',
      delivery: { startedAt: NOW - 10_000, finishedAt: NOW - 1_000, dms: {} },
    });
    const plan = planTrack(situation({ existingTask: ending }));
    expect(plan.task).toMatchObject({
      state: 'ended',
      endReason: 'completed',
      trackedAt: NOW - 60_000,
      channelIds: [CHANNEL_A, CHANNEL_B],
      delivery: { startedAt: NOW - 10_000, finishedAt: undefined },
    });
    expect(plan.pollAtOnce).toBe(true);
  });

  it('starts a finished task afresh, without sending again a DM that was sent, refused or another shard’s', () => {
    const finished = earlierTask({
      state: 'ended',
      endReason: 'completed',
      delivery: {
        finishedAt: NOW - 1_000,
        dms: {
          sent: { state: 'sent', nonce: 'a', at: 1 },
          closed: { state: 'closed', nonce: 'b', at: 1 },
          elsewhere: { state: 'elsewhere', nonce: 'e', at: 1 },
          failed: { state: 'failed', nonce: 'c', at: 1 },
        },
      },
    });
    const plan = planTrack(
      situation({
        existingTask: finished,
        existingFinished: true,
        existingSubscription: unpostedSubscription,
      }),
    );
    expect(plan.task).toMatchObject({ state: 'active', trackedAt: NOW, channelIds: [CHANNEL_B] });
    expect(Object.keys(plan.task.delivery?.dms ?? {}).sort()).toEqual(['closed', 'elsewhere', 'sent']);
    expect(plan.task.delivery?.finishedAt).toBeUndefined();
    // A finished task's old subscription is not an unfinished create: the message is new.
    expect(plan.subscription.nonce).toBe('freshnonce');
  });

  it('polls a task that has already completed at once', () => {
    expect(
      planTrack(situation({ snapshot: snapshot('video_abc', { status: 'completed' }) })).pollAtOnce,
    ).toBe(true);
  });
});
