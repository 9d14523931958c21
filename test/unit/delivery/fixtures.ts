import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import type { DownloadResult } from '../../../src/video-api/client.js';
import { snapshot } from '../render/fixtures.js';

export const MiB = 1024 * 1024;
export const TASK_ID = 'video_deliver';
export const GUILD = '100000000000000001';
export const CHANNEL_A = '200000000000000001';
export const CHANNEL_B = '200000000000000002';
export const ALICE = '300000000000000001';
export const BOB = '300000000000000002';
export const PUBLIC_URL = 'https://cdn.example/files/video_deliver.mp4';

/** A task that completed, with a public link unless told otherwise. */
export function endedTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    v: 1,
    id: TASK_ID,
    state: 'ended',
    endReason: 'completed',
    snapshot: snapshot({
      id: TASK_ID,
      status: 'completed',
      rawStatus: 'completed',
      progress: 100,
      videoUrl: PUBLIC_URL,
    }),
    trackedAt: 1_000,
    lastChangeAt: 2_000,
    channelIds: [CHANNEL_A],
    ...overrides,
  };
}

/** Alice's subscription in channel A, its progress message posted. */
export function subscription(overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    v: 1,
    taskId: TASK_ID,
    channelId: CHANNEL_A,
    guildId: GUILD,
    requesterId: ALICE,
    messageId: `progress-${overrides.channelId ?? CHANNEL_A}`,
    nonce: 'progress-nonce',
    messageCreatedAt: 1_000,
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: 1_000,
    state: 'active',
    ...overrides,
  };
}

/** A downloaded file of `bytes`, as the video API client returns it. */
export function downloadedFile(bytes: number, publicUrl?: string): Extract<DownloadResult, { kind: 'file' }> {
  return {
    kind: 'file',
    path: '/tmp/video_deliver.mp4',
    bytes,
    contentType: 'video/mp4',
    publicUrl,
    cleanup: () => Promise.resolve(),
  };
}
