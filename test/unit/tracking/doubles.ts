import type { SubscriptionRecord, TaskRecord, TrackingStore } from '../../../src/store/index.js';
import type {
  CreateOutcome,
  ProgressPublisher,
  PublishOutcome,
  TrackerOptions,
} from '../../../src/tracking/tracker.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { snapshot as baseSnapshot } from '../render/fixtures.js';

/** Test doubles for the tracker and its pieces: a scripted video API, a recording publisher, a queue stub. */

/** A queued task with the render fixtures' facts. */
export function snapshot(id: string, overrides: Partial<VideoSnapshot> = {}): VideoSnapshot {
  return baseSnapshot({ id, status: 'queued', rawStatus: 'queued', progress: 0, ...overrides });
}

export const limits: TrackerOptions['limits'] = {
  maxTasksPerUser: 2,
  maxTasksPerGuild: 3,
  idleTimeoutMs: 60 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
  resumeSpreadMs: 10_000,
  refreshCooldownMs: 5_000,
  deliveryGiveUpMs: 60 * 60_000,
};

export function scriptedApi() {
  const answers = new Map<string, VideoSnapshot | VideoApiError>();
  const calls: string[] = [];
  const api: VideoApiClient = {
    getVideo(id) {
      calls.push(id);
      const answer =
        answers.get(id) ?? new VideoApiError({ kind: 'not_found', message: 'no such task', status: 404 });
      return answer instanceof VideoApiError ? Promise.reject(answer) : Promise.resolve(answer);
    },
    downloadVideo: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
  return { api, answers, calls };
}

/**
 * Records every create and update. An update answers, in order of precedence: the channel's entry in
 * `byChannel` (every time), the next entry of `nextUpdate` (once), else `published`.
 */
export function recordingPublisher() {
  let nextMessageId = 1000;
  const created: SubscriptionRecord[] = [];
  const updates: { sub: SubscriptionRecord; task: TaskRecord; final: boolean }[] = [];
  const nextUpdate: PublishOutcome[] = [];
  const byChannel = new Map<string, PublishOutcome>();
  const createOutcomes: CreateOutcome[] = [];
  const publisher: ProgressPublisher = {
    create(sub) {
      created.push(sub);
      const outcome = createOutcomes.shift();
      if (outcome) return Promise.resolve(outcome);
      return Promise.resolve({
        kind: 'created',
        messageId: String(nextMessageId++),
        createdAt: 0,
        hash: 'h0',
      });
    },
    update(sub, task, { final }) {
      updates.push({ sub, task, final });
      const outcome = byChannel.get(sub.channelId) ?? nextUpdate.shift();
      return Promise.resolve(outcome ?? { kind: 'published', hash: `h${updates.length}` });
    },
  };
  return { publisher, created, updates, nextUpdate, byChannel, createOutcomes };
}

export function queueStub() {
  const scheduled = new Set<string>();
  return {
    scheduled,
    pollNow: () => Promise.resolve(undefined),
    schedule: (id: string) => void scheduled.add(id),
    unschedule: (id: string) => void scheduled.delete(id),
  };
}

/**
 * Stores a task followed in `channelIds`, each channel with a posted progress message, as `/sora track`
 * leaves it; returns the task record.
 */
export async function seedTrackedTask(
  store: TrackingStore,
  options: { id: string; channelIds: string[]; now: number; task?: Partial<TaskRecord> },
): Promise<TaskRecord> {
  const { id, channelIds, now } = options;
  const task: TaskRecord = {
    v: 1,
    id,
    state: 'active',
    snapshot: snapshot(id),
    trackedAt: now,
    lastChangeAt: now,
    lastPolledAt: now,
    channelIds,
    ...options.task,
  };
  await store.putTask(task);
  for (const [index, channelId] of channelIds.entries()) {
    await store.putSubscription({
      v: 1,
      taskId: id,
      channelId,
      requesterId: '300000000000000001',
      nonce: `nonce${index}`,
      notifyUserIds: [],
      locale: 'en-US',
      requesterLocale: 'en-US',
      createdAt: now,
      state: 'active',
      messageId: `90000000000000000${index}`,
      lastRenderedHash: 'shown',
    });
  }
  await store.setActive(id, true, { userId: '300000000000000001' });
  return task;
}
