/**
 * The benchmark's tasks: deterministic timelines (seeded) of what a new-api relay shows for each task.
 * Upstream a task waits in a queue, renders with steadily rising progress and completes (or, rarely,
 * fails) 2–10 minutes after it was created. The relay only refreshes each task every 15 s, at a phase of
 * its own and up to a second late, and stamps the refresh in `status_update_time` (docs/video-api.md#refresh-cadence-and-polling):
 * what a client can see changes only at those refreshes. All times are simulated epoch milliseconds.
 */

import { seededRandom } from '../testkit/logging/capture-logger.js';

export type RelayStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** What the relay shows after one refresh. */
export interface RelayTick {
  at: number;
  status: RelayStatus;
  progress: number;
}

export interface TaskPlan {
  id: string;
  channel: number;
  requester: number;
  createdAt: number;
  /** From the last refresh at or before the run starts to the first terminal one, in time order. */
  ticks: RelayTick[];
}

export interface WorkloadSpec {
  name: string;
  kind: 'steady' | 'burst';
  tasks: number;
  channels: number;
  /** Simulated ms per real ms for this row. */
  timeFactor: number;
  seed: number;
}

export interface Workload {
  spec: WorkloadSpec;
  /** Simulated time at which the tracker (re)starts. */
  startAt: number;
  tasks: TaskPlan[];
  /** Burst only: the second in which every task completes. */
  burstAt?: number;
}

export const RELAY_REFRESH_MS = 15_000;
/** A refresh lands up to this late (new-api walks its tasks one by one). */
const REFRESH_JITTER_MS = 1_000;
const MINUTE = 60_000;
const FAILURE_RATE = 0.03;

interface Upstream {
  createdAt: number;
  queuedUntil: number;
  endsAt: number;
  /** A failing task fails at this time instead of completing. */
  failsAt: number | undefined;
}

function upstreamAt(task: Upstream, at: number): Omit<RelayTick, 'at'> {
  if (task.failsAt !== undefined && at >= task.failsAt) {
    return { status: 'failed', progress: progressAt(task, task.failsAt) };
  }
  if (at >= task.endsAt) return { status: 'completed', progress: 100 };
  if (at < task.queuedUntil) return { status: 'queued', progress: 0 };
  return { status: 'in_progress', progress: progressAt(task, at) };
}

function progressAt(task: Upstream, at: number): number {
  const share = (at - task.queuedUntil) / (task.endsAt - task.queuedUntil);
  return Math.min(99, Math.max(0, Math.floor(share * 100)));
}

/**
 * What the relay shows of one task: the state stored at submission, then one state per refresh, from the
 * last one at or before `from` (what the tracker saw before it restarted) until a terminal one.
 */
function relayTicks(task: Upstream, firstRefresh: number, from: number, jitter: () => number): RelayTick[] {
  const all: RelayTick[] = [{ at: task.createdAt, status: 'queued', progress: 0 }];
  for (let k = 0; ; k++) {
    const at = Math.round(firstRefresh + k * RELAY_REFRESH_MS + jitter() * REFRESH_JITTER_MS);
    if (at <= task.createdAt) continue;
    const tick = { at, ...upstreamAt(task, at) };
    all.push(tick);
    if (tick.status === 'completed' || tick.status === 'failed') break;
  }
  let first = 0;
  while (first + 1 < all.length && all[first + 1]!.at <= from) first++;
  return all.slice(first);
}

/**
 * Steady state: `tasks` tasks active when the tracker restarts, each somewhere in its life, spread over
 * `channels` channels. Burst: every task completes within the same second, `burstDelayMs` after the start.
 */
export function buildWorkload(spec: WorkloadSpec, startAt: number, burstDelayMs = 25_000): Workload {
  const random = seededRandom(spec.seed);
  const tasks: TaskPlan[] = [];
  const burstAt = spec.kind === 'burst' ? startAt + burstDelayMs : undefined;
  for (let i = 0; i < spec.tasks; i++) {
    const durationMs = Math.round((2 + random() * 8) * MINUTE);
    const queueMs = Math.round(durationMs * (0.1 + random() * 0.2));
    let createdAt: number;
    let firstRefresh: number;
    if (burstAt === undefined) {
      // Somewhere in its life, with at least one refresh left before it ends.
      const elapsed = random() * (durationMs - RELAY_REFRESH_MS);
      createdAt = Math.round(startAt - elapsed);
      firstRefresh = createdAt + random() * RELAY_REFRESH_MS;
    } else {
      // The refresh that shows the end falls within the burst second for every task.
      const endRefresh = burstAt + random() * 0.5 * (1_000 - REFRESH_JITTER_MS / 2);
      createdAt = Math.round(endRefresh - durationMs);
      firstRefresh = endRefresh - Math.ceil(durationMs / RELAY_REFRESH_MS) * RELAY_REFRESH_MS;
    }
    const fails = burstAt === undefined && random() < FAILURE_RATE;
    const upstream: Upstream = {
      createdAt,
      queuedUntil: createdAt + queueMs,
      endsAt: createdAt + durationMs,
      failsAt: fails ? createdAt + queueMs + random() * (durationMs - queueMs) : undefined,
    };
    const tickRandom = burstAt === undefined ? random : () => 0;
    tasks.push({
      id: `task_${spec.seed.toString(36)}${i.toString(36).padStart(6, '0')}`,
      channel: i % spec.channels,
      requester: i % 200,
      createdAt,
      ticks: relayTicks(upstream, firstRefresh, startAt, tickRandom),
    });
  }
  return burstAt === undefined ? { spec, startAt, tasks } : { spec, startAt, tasks, burstAt };
}

/** The relay's answer to GET /v1/videos/{id} after a refresh, as a new-api Sora channel passes it on. */
export function relayBody(task: TaskPlan, tick: RelayTick): string {
  const body: Record<string, unknown> = {
    id: task.id,
    object: 'video',
    model: 'sora-2',
    status: tick.status,
    progress: tick.progress,
    created_at: Math.floor(task.createdAt / 1000),
    size: '1280x720',
    seconds: '8',
    status_update_time: tick.at,
  };
  if (tick.status === 'completed') body.completed_at = Math.floor(tick.at / 1000);
  if (tick.status === 'failed')
    body.error = { code: 'generation_failed', message: 'Video generation failed.' };
  return JSON.stringify(body);
}

/** Orders what a progress message can show, so "this state or a later one" is a comparison. */
export function stateRank(status: RelayStatus | 'unknown', progress: number): number {
  switch (status) {
    case 'queued':
      return 0;
    case 'in_progress':
      return 1_000 + progress;
    case 'completed':
    case 'failed':
      return 3_000;
    case 'unknown':
      return -1;
  }
}

/** Refreshes after the start that change what a progress message shows (the terminal one included). */
export function visibleChanges(task: TaskPlan): RelayTick[] {
  const changes: RelayTick[] = [];
  for (let i = 1; i < task.ticks.length; i++) {
    const before = task.ticks[i - 1]!;
    const after = task.ticks[i]!;
    if (stateRank(after.status, after.progress) !== stateRank(before.status, before.progress)) {
      changes.push(after);
    }
  }
  return changes;
}

export function terminalTick(task: TaskPlan): RelayTick {
  return task.ticks[task.ticks.length - 1]!;
}

/**
 * The least time in which Discord's limits (50 requests a second in all, 5 writes per 5 s in a channel)
 * let `results` messages spread over `channels` channels go out.
 */
export function burstFloorSeconds(results: number, channels: number): number {
  const perChannel = Math.ceil(results / channels);
  return Math.max(results / 50, (Math.ceil(perChannel / 5) - 1) * 5);
}
