/**
 * The soak row's driver, inside the bot's child process: tracks `tasks` tasks (each already finished at
 * the relay) through the bot's own tracker, at most `concurrency` active at once, until every one has
 * ended; samples peak RSS and the store's size once `sampleAfter` have ended and again at the end.
 * Retention (RETENTION_DAYS, compressed) runs in the bot meanwhile: the store should stay flat.
 */
import { stat } from 'node:fs/promises';
import type { App } from '../src/app.js';

export interface SoakPlan {
  tasks: number;
  concurrency: number;
  /** Ended tasks at which the first sample is taken. */
  sampleAfter: number;
  channels: { id: string; guildId: string }[];
  userIds: string[];
  /** The SQLite file of the store. */
  storeFile: string;
}

export interface SoakSample {
  ended: number;
  /** Peak RSS of the process so far. */
  peakRssBytes: number;
  storeBytes: number;
  activeNow: number;
}

export interface SoakFigures {
  afterFirst: SoakSample;
  atEnd: SoakSample;
  /** Tasks whose tracking was refused or failed (should be 0). */
  refused: number;
}

/** Task ids of the soak: the parent gives the fake relay the same ones. */
export const soakTaskId = (i: number) => `soak_${i.toString(36).padStart(6, '0')}`;

async function storeBytes(file: string): Promise<number> {
  let total = 0;
  // SQLite in WAL mode keeps recent pages in the -wal file.
  for (const suffix of ['', '-wal'])
    total += await stat(file + suffix).then(
      (s) => s.size,
      () => 0,
    );
  return total;
}

function sample(ended: number, app: App, file: string): Promise<SoakSample> {
  return storeBytes(file).then((bytes) => ({
    ended,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    storeBytes: bytes,
    activeNow: app.activeTasks(),
  }));
}

export async function runSoak(app: App, plan: SoakPlan): Promise<SoakFigures> {
  let started = 0;
  let refused = 0;
  let afterFirst: SoakSample | undefined;
  const ended = () => started - app.activeTasks();
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
    if (!afterFirst && ended() >= plan.sampleAfter) afterFirst = await sample(ended(), app, plan.storeFile);
    await new Promise((resolve) => setImmediate(resolve));
    if (room <= 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  while (app.activeTasks() > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  afterFirst ??= await sample(ended(), app, plan.storeFile);
  return { afterFirst, atEnd: await sample(ended(), app, plan.storeFile), refused };
}
