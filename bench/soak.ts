/**
 * The soak row's driver, inside the bot's child process: tracks `tasks` tasks (each already finished at
 * the relay) through the bot's own tracker, at most `concurrency` active at once, until every one has
 * ended; samples peak RSS and the store's size once `sampleAfter` have ended and again at the end.
 * Retention (RETENTION_DAYS, compressed) runs in the bot meanwhile: the store should stay flat.
 */
import type { App } from '../src/app.js';
import { realNow } from './time-warp.js';
import { measureStore, unfinishedTasks, type StoreSize } from './soak-store.js';

export interface SoakPlan {
  tasks: number;
  concurrency: number;
  /** Ended tasks at which the first sample is taken. */
  sampleAfter: number;
  channels: { id: string; guildId: string }[];
  userIds: string[];
  /** The SQLite file of the store. */
  storeFile: string;
  /** Real seconds without a task ending after which the run is given up and the stuck tasks named. */
  stallSeconds: number;
}

export interface SoakSample extends StoreSize {
  ended: number;
  /** The most live store data seen so far (measured every real second): sweeps make it saw-toothed. */
  peakLiveBytes: number;
  /** Peak RSS of the process so far. */
  peakRssBytes: number;
  activeNow: number;
}

export interface SoakFigures {
  afterFirst: SoakSample;
  atEnd: SoakSample;
  /** Tasks whose tracking was refused or failed (should be 0). */
  refused: number;
}

/** What the driver reports while it runs (the parent logs it). */
export interface SoakProgress {
  ended: number;
  active: number;
  refused: number;
  liveBytes: number;
}

/** Task ids of the soak: the parent gives the fake relay the same ones. */
export const soakTaskId = (i: number) => `soak_${i.toString(36).padStart(6, '0')}`;

async function sample(ended: number, app: App, file: string, peakLive: number): Promise<SoakSample> {
  const store = await measureStore(file);
  return {
    ended,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    activeNow: app.activeTasks(),
    ...store,
    peakLiveBytes: Math.max(peakLive, store.liveBytes),
  };
}

/** The started tasks whose channel subscription has not ended: what keeps the active set from emptying. */
async function stuckTasks(app: App, plan: SoakPlan, started: number): Promise<string[]> {
  const stuck: string[] = [];
  for (let i = 0; i < started && stuck.length < 20; i++) {
    const channel = plan.channels[i % plan.channels.length]!;
    const subscription = await app.tracker.subscription(soakTaskId(i), channel.id);
    if (subscription?.state === 'active') stuck.push(`${soakTaskId(i)} (${JSON.stringify(subscription)})`);
  }
  return stuck;
}

export async function runSoak(
  app: App,
  plan: SoakPlan,
  progress: (report: SoakProgress) => void = () => {},
): Promise<SoakFigures> {
  let started = 0;
  let refused = 0;
  let afterFirst: SoakSample | undefined;
  const ended = () => started - app.activeTasks();
  let lastEnded = -1;
  let lastProgressReal = realNow();
  let lastReportReal = 0;
  let lastMeasureReal = 0;
  let peakLive = 0;
  let liveNow = 0;
  // Gives up when no task has ended for `stallSeconds` of real time, naming the tasks still active.
  const watch = async () => {
    const now = realNow();
    if (ended() !== lastEnded) [lastEnded, lastProgressReal] = [ended(), now];
    if (now - lastMeasureReal >= 1_000) {
      lastMeasureReal = now;
      liveNow = (await measureStore(plan.storeFile)).liveBytes;
      peakLive = Math.max(peakLive, liveNow);
    }
    if (now - lastReportReal >= 10_000) {
      lastReportReal = now;
      progress({ ended: ended(), active: app.activeTasks(), refused, liveBytes: liveNow });
    }
    if (now - lastProgressReal < plan.stallSeconds * 1000) return;
    const stuck = await stuckTasks(app, plan, started);
    const records = await unfinishedTasks(plan.storeFile, 5).catch((error: unknown) => [String(error)]);
    throw new Error(
      `soak stalled: ${ended()}/${started} ended, ${app.activeTasks()} active, none ended for ${plan.stallSeconds} s real; subscriptions still active: ${stuck.join('; ') || 'none'}; records not finished: ${records.join('; ') || 'none'}`,
    );
  };
  const trackOne = async (i: number) => {
    const channel = plan.channels[i % plan.channels.length]!;
    const result = await app.tracker.track({
      taskId: soakTaskId(i),
      channelId: channel.id,
      guildId: channel.guildId,
      requesterId: plan.userIds[i % plan.userIds.length]!,
      locale: 'en-US',
      requesterLocale: 'en-US',
      uploadLimitBytes: 10 * 1024 * 1024,
      notify: false,
    });
    if (result.kind !== 'tracked') refused += 1;
  };
  while (started < plan.tasks) {
    const room = plan.concurrency - app.activeTasks();
    if (room > 0) {
      const batch = Math.min(room, plan.tasks - started, 50);
      const first = started;
      started += batch;
      await Promise.all(
        Array.from({ length: batch }, (_, k) => trackOne(first + k).catch(() => void (refused += 1))),
      );
    }
    if (!afterFirst && ended() >= plan.sampleAfter)
      afterFirst = await sample(ended(), app, plan.storeFile, peakLive);
    await watch();
    await new Promise((resolve) => setImmediate(resolve));
    if (room <= 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  while (app.activeTasks() > 0) {
    await watch();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  afterFirst ??= await sample(ended(), app, plan.storeFile, peakLive);
  return { afterFirst, atEnd: await sample(ended(), app, plan.storeFile, peakLive), refused };
}
