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

interface Counters {
  started: number;
  refused: number;
  /** Tasks whose track() has not returned yet. */
  tracking: Set<string>;
}

/**
 * Runs on a timer of its own, so that a track() that never returns is caught too: measures the store
 * every real second, reports every 10 s, and gives up when no task has ended for `stallSeconds` of real
 * time, naming what it waits on.
 */
function createWatchdog(app: App, plan: SoakPlan, counters: Counters, progress: (p: SoakProgress) => void) {
  // A task still in track() is not ended (it may or may not be scheduled yet): at worst undercounted.
  const ended = () => Math.max(0, counters.started - app.activeTasks() - counters.tracking.size);
  let lastEnded = -1;
  let lastProgressReal = realNow();
  let [lastReportReal, lastMeasureReal, peakLive, liveNow] = [0, 0, 0, 0];
  let busy = false;
  let fail: (error: Error) => void = () => {};
  const stalled = new Promise<never>((_resolve, reject) => (fail = reject));
  const check = async () => {
    const now = realNow();
    if (ended() !== lastEnded) [lastEnded, lastProgressReal] = [ended(), now];
    if (now - lastMeasureReal >= 1_000) {
      lastMeasureReal = now;
      liveNow = (await measureStore(plan.storeFile)).liveBytes;
      peakLive = Math.max(peakLive, liveNow);
    }
    if (now - lastReportReal >= 10_000) {
      lastReportReal = now;
      progress({ ended: ended(), active: app.activeTasks(), refused: counters.refused, liveBytes: liveNow });
    }
    if (now - lastProgressReal < plan.stallSeconds * 1000) return;
    const stuck = await stuckTasks(app, plan, counters.started);
    const records = await unfinishedTasks(plan.storeFile, 5).catch((error: unknown) => [String(error)]);
    const pending = [...counters.tracking].slice(0, 20);
    fail(
      new Error(
        `soak stalled: ${ended()}/${counters.started} ended, ${app.activeTasks()} active, none ended for ${plan.stallSeconds} s real; track() not returned: ${pending.join(', ') || 'none'}; subscriptions still active: ${stuck.join('; ') || 'none'}; records not finished: ${records.join('; ') || 'none'}`,
      ),
    );
  };
  // Simulated ms (the child runs on warped time): a few real ms at any factor the bench uses.
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check().finally(() => (busy = false));
  }, 100);
  return {
    stalled,
    ended,
    peakLive: () => peakLive,
    stop: () => clearInterval(timer),
  };
}

export async function runSoak(
  app: App,
  plan: SoakPlan,
  progress: (report: SoakProgress) => void = () => {},
): Promise<SoakFigures> {
  const counters: Counters = { started: 0, refused: 0, tracking: new Set() };
  const watchdog = createWatchdog(app, plan, counters, progress);
  const { ended } = watchdog;
  let afterFirst: SoakSample | undefined;
  const trackOne = async (i: number) => {
    const channel = plan.channels[i % plan.channels.length]!;
    const taskId = soakTaskId(i);
    counters.tracking.add(taskId);
    const result = await app.tracker.track({
      taskId,
      channelId: channel.id,
      guildId: channel.guildId,
      requesterId: plan.userIds[i % plan.userIds.length]!,
      locale: 'en-US',
      requesterLocale: 'en-US',
      uploadLimitBytes: 10 * 1024 * 1024,
      notify: false,
    });
    counters.tracking.delete(taskId);
    if (result.kind !== 'tracked') counters.refused += 1;
  };
  const drive = async () => {
    while (counters.started < plan.tasks) {
      // Tasks in track() may not be scheduled yet: counted too, so that at most `concurrency` run.
      const room = plan.concurrency - app.activeTasks() - counters.tracking.size;
      const batch = Math.min(room, plan.tasks - counters.started, 50);
      for (let k = 0; k < batch; k++) {
        const i = counters.started++;
        void trackOne(i).catch(() => {
          counters.tracking.delete(soakTaskId(i));
          counters.refused += 1;
        });
      }
      if (!afterFirst && ended() >= plan.sampleAfter)
        afterFirst = await sample(ended(), app, plan.storeFile, watchdog.peakLive());
      await new Promise((resolve) => setImmediate(resolve));
      if (batch <= 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    while (counters.tracking.size > 0 || app.activeTasks() > 0)
      await new Promise((resolve) => setTimeout(resolve, 200));
  };
  try {
    await Promise.race([drive(), watchdog.stalled]);
  } finally {
    watchdog.stop();
  }
  afterFirst ??= await sample(ended(), app, plan.storeFile, watchdog.peakLive());
  const atEnd = await sample(ended(), app, plan.storeFile, watchdog.peakLive());
  return { afterFirst, atEnd, refused: counters.refused };
}
