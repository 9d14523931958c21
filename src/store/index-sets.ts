/**
 * Sets of strings kept under one key each (the store's indexes), updated by read-modify-write.
 *
 * Changes to one key are queued and applied in batches, one write in flight per key: a thousand
 * tasks ending in the same second cost a handful of writes per key, not a thousand, and no update
 * is ever lost to an interleaved read-modify-write. A caller's promise settles once a write that
 * includes its change has been stored (or has failed).
 *
 * The last stored contents of each key are cached so that re-adding a member already present costs
 * nothing. The cache assumes this process is the only writer of its namespace (one bot process per
 * store, or per shard with a lease) and is bounded: idle entries are evicted, least recently used first.
 */
export interface IndexSets {
  /** The stored members, in insertion order. */
  members(key: string): Promise<string[]>;
  has(key: string, member: string): Promise<boolean>;
  /** Stored members of many keys, loading the uncached ones in batches. */
  membersOfMany(keys: readonly string[]): Promise<Map<string, string[]>>;
  add(key: string, member: string): Promise<void>;
  remove(key: string, member: string): Promise<void>;
  removeMany(key: string, members: readonly string[]): Promise<void>;
}

export interface IndexStorage {
  read(key: string): Promise<string[]>;
  readMany(keys: readonly string[]): Promise<string[][]>;
  /** Stores the members; an empty set deletes the key. */
  write(key: string, members: readonly string[]): Promise<void>;
}

interface Change {
  member: string;
  add: boolean;
  settle: (error?: Error) => void;
}

interface KeyState {
  /** Last stored contents; undefined until read, or after a failed write left them unknown. */
  stored: Set<string> | undefined;
  loading: Promise<Set<string>> | undefined;
  queue: Change[];
  draining: boolean;
}

const READ_BATCH = 200;

export function createIndexSets(storage: IndexStorage, options: { maxCachedKeys: number }): IndexSets {
  const states = createKeyStates(options.maxCachedKeys);

  async function drain(key: string, state: KeyState): Promise<void> {
    if (state.draining) return;
    state.draining = true;
    try {
      await writeQueuedChanges(storage, key, state);
    } finally {
      state.draining = false;
      states.evictIdle();
    }
  }

  function change(key: string, members: readonly string[], add: boolean): Promise<void> {
    const state = states.touch(key);
    const settled = !state.draining && state.queue.length === 0 && state.stored;
    if (settled && members.every((member) => state.stored?.has(member) === add)) return Promise.resolve();
    const pending = members.map(
      (member) =>
        new Promise<void>((resolve, reject) => {
          state.queue.push({
            member,
            add,
            settle: (error) => (error === undefined ? resolve() : reject(error)),
          });
        }),
    );
    void drain(key, state);
    return Promise.all(pending).then(() => undefined);
  }

  async function members(key: string): Promise<string[]> {
    const state = states.touch(key);
    const stored = [...(await loadMembers(storage, key, state))];
    states.evictIdle();
    return stored;
  }

  return {
    members,

    async has(key, member) {
      return (await loadMembers(storage, key, states.touch(key))).has(member);
    },

    async membersOfMany(keys) {
      const result = new Map<string, string[]>();
      const missing = keys.filter((key) => !states.peek(key)?.stored);
      for (let start = 0; start < missing.length; start += READ_BATCH) {
        const batch = missing.slice(start, start + READ_BATCH);
        const values = await storage.readMany(batch);
        batch.forEach((key, i) => {
          const state = states.touch(key);
          // A write may have landed meanwhile; what it stored is newer than what we read.
          state.stored ??= new Set(values[i]);
        });
      }
      for (const key of keys) result.set(key, await members(key));
      return result;
    },

    add: (key, member) => change(key, [member], true),
    remove: (key, member) => change(key, [member], false),
    removeMany: (key, members) => (members.length === 0 ? Promise.resolve() : change(key, members, false)),
  };
}

/** The state of each key, least recently used first, with idle keys evicted beyond the bound. */
function createKeyStates(maxCachedKeys: number) {
  const states = new Map<string, KeyState>();
  const isIdle = (state: KeyState) => !state.draining && state.queue.length === 0 && !state.loading;
  return {
    /** The key's state, created if need be, marked as recently used. */
    touch(key: string): KeyState {
      let state = states.get(key);
      if (state) {
        // Re-insert to mark it recently used: Map keeps insertion order.
        states.delete(key);
      } else {
        state = { stored: undefined, loading: undefined, queue: [], draining: false };
      }
      states.set(key, state);
      return state;
    },
    peek: (key: string): KeyState | undefined => states.get(key),
    evictIdle(): void {
      if (states.size <= maxCachedKeys) return;
      for (const [key, state] of states) {
        if (states.size <= maxCachedKeys) return;
        if (isIdle(state)) states.delete(key);
      }
    },
  };
}

/** The stored members of a key, read once however many callers ask at the same time. */
function loadMembers(storage: IndexStorage, key: string, state: KeyState): Promise<Set<string>> {
  if (state.stored) return Promise.resolve(state.stored);
  state.loading ??= storage
    .read(key)
    .then((members) => {
      state.stored ??= new Set(members);
      return state.stored;
    })
    .finally(() => {
      state.loading = undefined;
    });
  return state.loading;
}

/** Applies the queued changes of a key, a batch per write, until none are left. */
async function writeQueuedChanges(storage: IndexStorage, key: string, state: KeyState): Promise<void> {
  while (state.queue.length > 0) {
    const batch = state.queue.splice(0);
    try {
      const current = await loadMembers(storage, key, state);
      const next = new Set(current);
      for (const change of batch) {
        if (change.add) next.add(change.member);
        else next.delete(change.member);
      }
      if (!sameMembers(current, next)) await storage.write(key, [...next]);
      state.stored = next;
      for (const change of batch) change.settle();
    } catch (error) {
      // A failed write may or may not have landed: read the key again next time.
      state.stored = undefined;
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const change of batch) change.settle(failure);
    }
  }
}

function sameMembers(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const member of a) if (!b.has(member)) return false;
  return true;
}
