import { createKeyedMutex, type KeyedMutex } from '../store/keyed-mutex.js';
import type { SubscriptionRecord } from '../store/index.js';
import type { PollQueue, TrackerOptions } from './types.js';

/**
 * What the pieces of the tracker share: the dependencies it was built with, and the little state it
 * keeps in memory. Everything that must survive a restart is in the store; losing this costs at most
 * a repeated edit or one more Refresh.
 */
export interface TrackerContext extends Omit<TrackerOptions, 'random'> {
  random: () => number;
  /** One writer at a time per task, keyed by task id (a subscription changes by `store.updateSubscription`). */
  locks: KeyedMutex;
  /** Subscriptions whose last write failed transiently: written again on the next poll even without a change. */
  republish: RepublishSet;
  /** When each task was last refreshed by a button press (in memory: a restart may allow one more). */
  lastRefreshAt: Map<string, number>;
  /** Message writes and task finishes still running, so shutdown and tests can wait for them. */
  background: BackgroundWork;
  /** The scheduler, once attached; set by `attach()` or `resume()`. */
  queue: PollQueue | undefined;
}

export function createTrackerContext(options: TrackerOptions): TrackerContext {
  return {
    ...options,
    random: options.random ?? Math.random,
    locks: createKeyedMutex(),
    republish: createRepublishSet(),
    lastRefreshAt: new Map(),
    background: createBackgroundWork(),
    queue: undefined,
  };
}

type SubscriptionRef = Pick<SubscriptionRecord, 'taskId' | 'channelId'>;

/** A subscription's identity, as one string: its key in the republish set. */
export const subscriptionKey = (sub: SubscriptionRef): string => `${sub.taskId}\u0000${sub.channelId}`;

export interface RepublishSet {
  mark(sub: SubscriptionRef): void;
  clear(sub: SubscriptionRef): void;
  has(sub: SubscriptionRef): boolean;
  /** Whether any channel of the task waits for a write again. */
  anyOf(taskId: string): boolean;
  /** Forgets every channel of a task that is no longer polled. */
  forgetTask(taskId: string): void;
  /** Subscriptions waiting for a write again. */
  readonly size: number;
}

/** Per task, so that a poll asks in constant time and a task that ends leaves nothing behind. */
function createRepublishSet(): RepublishSet {
  const channelsByTask = new Map<string, Set<string>>();
  let size = 0;
  return {
    mark(sub) {
      let channels = channelsByTask.get(sub.taskId);
      if (!channels) channelsByTask.set(sub.taskId, (channels = new Set()));
      if (!channels.has(sub.channelId)) size++;
      channels.add(sub.channelId);
    },
    clear(sub) {
      const channels = channelsByTask.get(sub.taskId);
      if (!channels?.delete(sub.channelId)) return;
      size--;
      if (channels.size === 0) channelsByTask.delete(sub.taskId);
    },
    has: (sub) => channelsByTask.get(sub.taskId)?.has(sub.channelId) ?? false,
    anyOf: (taskId) => channelsByTask.has(taskId),
    forgetTask(taskId) {
      size -= channelsByTask.get(taskId)?.size ?? 0;
      channelsByTask.delete(taskId);
    },
    get size() {
      return size;
    },
  };
}

export interface BackgroundWork {
  /** Keeps track of work nobody awaits; it must handle its own errors. */
  add(work: Promise<unknown>): void;
  /** Resolves once every piece of work added so far (and any added meanwhile) has settled. */
  settled(): Promise<void>;
}

function createBackgroundWork(): BackgroundWork {
  const running = new Set<Promise<unknown>>();
  return {
    add(work) {
      running.add(work);
      const forget = () => void running.delete(work);
      void work.then(forget, forget);
    },
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
