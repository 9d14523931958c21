/**
 * One run's world, in the bench's own process: the local Discord with its servers, channels and the
 * progress messages the tracker had posted before it restarted, the fake video API playing every task's
 * relay timeline, and the tracker's saved state (our store, or the reference's task list).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { progressView } from '../src/discord/progress-publisher.js';
import { createLogger } from '../src/ops/logger.js';
import { renderProgressMessage, visibleHash } from '../src/render/index.js';
import { createTrackingStore } from '../src/store/index.js';
import type { SubscriptionRecord, TaskRecord } from '../src/store/index.js';
import { normalizeVideo } from '../src/video-api/normalize.js';
import { startFakeDiscord, type FakeChannel, type FakeDiscord } from '../testkit/fake-discord/index.js';
import { startFakeVideoApi, type FakeVideoApi } from '../testkit/fake-video-api/index.js';
import { referenceEmbed, referenceText, type ReferenceTask } from './reference-tracker.js';
import { createWarpedClock, type TimeWarp } from './time-warp.js';
import { relayBody, terminalTick, type TaskPlan, type Workload } from './workload.js';

export const API_KEY = 'sk-bench-0123456789abcdef';
export const VIDEO_BYTES = 8 * 1024;
const CHANNELS_PER_GUILD = 100;
const USERS = 200;

export interface ApiCounts {
  status: number;
  content: number;
  file: number;
  other: number;
  /** Status requests per 10 simulated seconds since the start. */
  statusTimeline: number[];
  /** When each task was first polled after the relay showed its end. */
  endSeenAt: Map<string, number>;
}

export interface Scene {
  discord: FakeDiscord;
  api: FakeVideoApi;
  apiCounts: ApiCounts;
  channels: FakeChannel[];
  /** Progress message id of each task. */
  progressMessageIds: Map<string, string>;
  close(): Promise<void>;
}

export async function buildScene(options: {
  workload: Workload;
  tracker: 'ours' | 'reference';
  warp: TimeWarp;
  dir: string;
}): Promise<{ scene: Scene; storeUrl?: string; referenceTasksFile?: string }> {
  const { workload, tracker, warp, dir } = options;
  const clock = createWarpedClock(warp);
  const discord = await startFakeDiscord({ clock });
  const api = await startFakeVideoApi({ apiKey: API_KEY, clock, recordRequests: false });

  const apiCounts: ApiCounts = {
    status: 0,
    content: 0,
    file: 0,
    other: 0,
    statusTimeline: [],
    endSeenAt: new Map(),
  };
  const endsAt = new Map(workload.tasks.map((task) => [task.id, terminalTick(task).at]));
  // A waiter that never matches sees every request, also with recording off: a cheap counter.
  void api.waitForRequest((request) => {
    if (request.route === 'status' || request.route === 'content' || request.route === 'file')
      apiCounts[request.route] += 1;
    else apiCounts.other += 1;
    if (request.route === 'status' && process.env.BENCH_TRACE_TASK === request.taskId) {
      console.log(
        `trace ${request.taskId} polled at +${((clock.now() - workload.startAt) / 1000).toFixed(2)} s`,
      );
    }
    if (request.route === 'status' && request.taskId !== undefined) {
      const now = clock.now();
      const endAt = endsAt.get(request.taskId);
      if (endAt !== undefined && now >= endAt && !apiCounts.endSeenAt.has(request.taskId))
        apiCounts.endSeenAt.set(request.taskId, now);
    }
    if (request.route === 'status') {
      const bucket = Math.max(0, Math.floor((clock.now() - workload.startAt) / 10_000));
      apiCounts.statusTimeline[bucket] = (apiCounts.statusTimeline[bucket] ?? 0) + 1;
    }
    return false;
  });

  const users = Array.from({ length: USERS }, (_, i) => discord.world.user({ username: `user${i}` }));
  const channels: FakeChannel[] = [];
  const guildCount = Math.ceil(workload.spec.channels / CHANNELS_PER_GUILD);
  for (let g = 0; g < guildCount; g++) {
    const guild = discord.world.guild({ name: `Studio ${g}`, members: users });
    for (let c = 0; c < CHANNELS_PER_GUILD && channels.length < workload.spec.channels; c++) {
      channels.push(discord.world.textChannel(guild, { name: `renders-${c}` }));
    }
  }

  const progressMessageIds = new Map<string, string>();
  const scene: Scene = {
    discord,
    api,
    apiCounts,
    channels,
    progressMessageIds,
    async close() {
      await Promise.all([discord.close(), api.close()]);
    },
  };

  for (const task of workload.tasks) {
    api.addTask({
      id: task.id,
      steps: task.ticks.map((tick) => ({ atMs: tick.at - workload.startAt, body: relayBody(task, tick) })),
      video: { bytes: VIDEO_BYTES },
    });
  }

  if (tracker === 'reference') {
    const list: ReferenceTask[] = workload.tasks.map((task) => {
      const channel = channels[task.channel]!;
      const video = JSON.parse(relayBody(task, task.ticks[0]!)) as Parameters<typeof referenceEmbed>[0];
      const message = discord.messages.seed({
        channel,
        body: { embeds: [referenceEmbed(video)] },
        createdAt: trackedAt(task, workload.startAt),
      });
      progressMessageIds.set(task.id, message.id);
      return {
        id: task.id,
        channelId: channel.id,
        messageId: message.id,
        requesterId: users[task.requester]!.id,
        shownText: referenceText(video),
      };
    });
    const referenceTasksFile = join(dir, 'reference-tasks.json');
    await writeFile(referenceTasksFile, JSON.stringify(list));
    return { scene, referenceTasksFile };
  }

  const storeUrl = `sqlite://${join(dir, 'store.sqlite')}`;
  const store = await createTrackingStore({
    url: storeUrl,
    logger: createLogger({ level: 'silent', secrets: [] }),
    clock,
  });
  const records = workload.tasks.map((task) => {
    const channel = channels[task.channel]!;
    const { task: record, subscription } = savedRecords(task, channel, users[task.requester]!.id, workload);
    const message = discord.messages.seed({
      channel,
      body: { ...renderProgressMessage(progressView(subscription, record), workload.startAt) },
      createdAt: subscription.createdAt,
    });
    progressMessageIds.set(task.id, message.id);
    return { record, subscription: { ...subscription, messageId: message.id } };
  });
  // Written in slices: the store batches index writes of one key, so a slice costs a few writes per key.
  for (let i = 0; i < records.length; i += 500) {
    await Promise.all(
      records.slice(i, i + 500).map(async ({ record, subscription }) => {
        await store.putTask(record);
        await store.putSubscription(subscription);
        await store.setActive(record.id, true, {
          userId: subscription.requesterId,
          ...(subscription.guildId !== undefined ? { guildId: subscription.guildId } : {}),
        });
      }),
    );
  }
  await store.close();
  return { scene, storeUrl };
}

function trackedAt(task: TaskPlan, startAt: number): number {
  return Math.min(task.createdAt + 2_000, startAt - 1_000);
}

/** What our store held for a task when the bot went down: the relay's state at the restart, shown. */
function savedRecords(
  task: TaskPlan,
  channel: FakeChannel,
  requesterId: string,
  workload: Workload,
): { task: TaskRecord; subscription: SubscriptionRecord } {
  const seen = task.ticks[0]!;
  const snapshot = normalizeVideo(JSON.parse(relayBody(task, seen)), { id: task.id }).snapshot;
  const tracked = trackedAt(task, workload.startAt);
  const record: TaskRecord = {
    v: 1,
    id: task.id,
    state: 'active',
    snapshot,
    trackedAt: tracked,
    lastChangeAt: Math.max(seen.at, tracked),
    lastPolledAt: Math.max(seen.at, tracked),
    channelIds: [channel.id],
  };
  const subscription: SubscriptionRecord = {
    v: 1,
    taskId: task.id,
    channelId: channel.id,
    guildId: channel.guildId ?? undefined,
    requesterId,
    nonce: task.id.slice(-25),
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: tracked,
    state: 'active',
  };
  const shown = renderProgressMessage(progressView(subscription, record), workload.startAt);
  return {
    task: record,
    subscription: { ...subscription, messageCreatedAt: tracked, lastRenderedHash: visibleHash(shown) },
  };
}
