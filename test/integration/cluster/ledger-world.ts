import pino from 'pino';
import type { ShardLedgers } from '../../../src/cluster/shard-ledgers.js';
import { shardNamespace, type ShardRef } from '../../../src/cluster/shard-ref.js';
import { createDelivery, type Delivery, type ResultPublisher } from '../../../src/delivery/delivery.js';
import {
  createTrackingStore,
  type SubscriptionRecord,
  type TaskRecord,
  type TrackingStore,
} from '../../../src/store/index.js';
import { createTracker, type Tracker, type TrackRequest } from '../../../src/tracking/tracker.js';
import type { ManualClock } from '../../../testkit/clock/manual-clock.js';
import { limits, queueStub, recordingPublisher, scriptedApi, snapshot } from '../../unit/tracking/doubles.js';

/**
 * Shards of one bot as the ledger sees them, without Discord: per shard a real store in its own
 * namespace, a tracker and a delivery wired to that shard's ledger, and one Discord side recording
 * every DM any shard sends.
 */

export const ALICE = '300000000000000001';
const silent = pino({ level: 'silent' });

export interface LedgerShard {
  shard: ShardRef;
  store: TrackingStore;
  tracker: Tracker;
  delivery: Delivery;
  api: ReturnType<typeof scriptedApi>;
}

export interface SentDm {
  shard: number;
  userId: string;
  taskId: string;
}

/** What every shard's result publisher sent, and the next DM answers to give (then 'sent'). */
export function recordingDiscord() {
  const dms: SentDm[] = [];
  const posts: { shard: number; channelId: string }[] = [];
  const dmAnswers: ('failed' | 'throw')[] = [];
  const publisherFor = (shard: number): ResultPublisher => ({
    channelUploadLimit: () => 10 * 1024 * 1024,
    dmUploadLimit: 10 * 1024 * 1024,
    postResult(sub) {
      posts.push({ shard, channelId: sub.channelId });
      return Promise.resolve({ kind: 'posted', messageId: `result-${posts.length}` });
    },
    sendDm(userId, _locale, _sub, task) {
      const answer = dmAnswers.shift();
      // A crash right after the claim: nothing sent, nothing recorded.
      if (answer === 'throw') return Promise.reject(new Error('process died'));
      if (answer === 'failed') return Promise.resolve({ kind: 'failed' });
      dms.push({ shard, userId, taskId: task.id });
      return Promise.resolve({ kind: 'sent', messageId: `dm-${dms.length}` });
    },
  });
  return { dms, posts, dmAnswers, publisherFor };
}

export async function openShard(options: {
  url: string;
  namespace: string;
  shard: ShardRef;
  ledgers: ShardLedgers;
  clock: ManualClock;
  publisher: ResultPublisher;
  store?: TrackingStore;
}): Promise<LedgerShard> {
  const { shard, clock } = options;
  const store =
    options.store ??
    (await createTrackingStore({
      url: options.url,
      namespace: shardNamespace(options.namespace, shard),
      logger: silent,
      clock,
    }));
  const ledger = options.ledgers.forShard(shard, store);
  const api = scriptedApi();
  const delivery = createDelivery({
    store,
    videoApi: api.api,
    publisher: options.publisher,
    clock,
    logger: silent,
    dmClaims: ledger,
  });
  const tracker = createTracker({
    store,
    videoApi: api.api,
    publisher: recordingPublisher().publisher,
    clock,
    logger: silent,
    limits,
    random: () => 0.5,
    ledger,
  });
  tracker.attach(queueStub());
  return { shard, store, tracker, delivery, api };
}

/** `/sora track` of a queued task by Alice in a channel of a guild on this shard. */
export function trackAs(on: LedgerShard, taskId: string, channelId: string): ReturnType<Tracker['track']> {
  on.api.answers.set(taskId, snapshot(taskId));
  const request: TrackRequest = {
    taskId,
    channelId,
    guildId: `10000000000000000${on.shard.id}`,
    requesterId: ALICE,
    locale: 'en-US',
    requesterLocale: 'en-US',
    uploadLimitBytes: undefined,
    notify: true,
  };
  return on.tracker.track(request);
}

/** A task that failed, followed in one channel of this shard by Alice, who asked for a DM. */
export async function endedHere(on: LedgerShard, taskId: string, channelId: string): Promise<TaskRecord> {
  const task: TaskRecord = {
    v: 1,
    id: taskId,
    state: 'ended',
    endReason: 'failed',
    snapshot: snapshot(taskId, { status: 'failed', rawStatus: 'failed' }),
    trackedAt: 1_000,
    lastChangeAt: 2_000,
    channelIds: [channelId],
  };
  const sub: SubscriptionRecord = {
    v: 1,
    taskId,
    channelId,
    guildId: `10000000000000000${on.shard.id}`,
    requesterId: ALICE,
    messageId: `progress-${channelId}`,
    nonce: 'progress-nonce',
    messageCreatedAt: 1_000,
    notifyUserIds: [ALICE],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: 1_000,
    state: 'active',
  };
  await on.store.putTask(task);
  await on.store.putSubscription(sub);
  return task;
}
