/**
 * What the client remembers of recent tasks between calls: the last progress (so progress never goes
 * back), the unrecognised status already logged, and the video link and expiry for downloads.
 */
export interface RememberedTask {
  progress: number | undefined;
  /** The unrecognised status text already logged for this task, so it is logged once. */
  loggedStatus: string | undefined;
  videoUrl: string | undefined;
  expiresAtMs: number | undefined;
}

/** A small LRU: a Map keeps insertion order, so re-inserting on use makes the oldest entry first. */
export function createTaskMemory(capacity: number) {
  const entries = new Map<string, RememberedTask>();
  return {
    get(id: string): RememberedTask | undefined {
      const entry = entries.get(id);
      if (entry !== undefined) {
        entries.delete(id);
        entries.set(id, entry);
      }
      return entry;
    },
    set(id: string, entry: RememberedTask): void {
      entries.delete(id);
      entries.set(id, entry);
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
  };
}
