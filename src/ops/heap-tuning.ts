import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what was live at the last full collection, in percent.
 *
 * The bot keeps a steady working set (tracked tasks, cached records, queued edits) and replaces parts of
 * it all the time, so much of its garbage is old. V8's default lets the heap reach up to four times the
 * live size before collecting it; measured at 10,000 tasks (npm run bench), that is a 550 MB process
 * for 130 MB of live data. At 20 % the same run peaks near 300 MB for the same CPU time.
 */
export const HEAP_GROWING_PERCENT = 20;

/**
 * Flags for the `node` command that runs the bot (`npm start`, each shard of `npm run start:sharded`, the
 * benchmark's child), which V8 cannot take once running.
 *
 * `--v8-pool-size=1`: one V8 worker thread instead of four. The bot's GC runs concurrently on it all the
 * same, but each extra thread promotes surviving objects into pages of its own and keeps its own malloc
 * arena: measured at 10,000 tasks (npm run bench, idle 2-core machine), peak RSS falls from 301–309 MB to
 * 264–276 MB at the same CPU and event-loop delay. The bot compiles nothing in bulk that would want more.
 */
export const NODE_FLAGS: readonly string[] = ['--v8-pool-size=1'];

/** Called once at start, before anything is allocated in bulk. */
export function tuneHeapForLongRuns(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
