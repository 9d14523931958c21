/**
 * The folder a shard downloads videos into, and the files kept there between tries of a delivery.
 *
 * A downloaded file stays until every place has it (a post that Discord refused with a 5xx is retried
 * with the same file, even after a restart), within a bound on the folder's size; a file that would
 * pass the bound is not kept, and a retry downloads it again. Each shard has a folder of its own, and a
 * shard runs in one process at a time, so a file in it that is older than this process and that no
 * active task refers to was left by a process that died (`kill -9` mid-delivery): the sweep at start
 * removes it.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../ops/logger.js';
import type { TaskDelivery, TrackingStore } from '../store/index.js';
import type { DownloadResult } from '../video-api/client.js';

type DownloadRecord = NonNullable<TaskDelivery['download']>;

/** How the video API client names its downloads: `sora-<task>-<uuid>.<ext>` (video-api/download.ts). */
const DOWNLOAD_NAME = /^sora-.+\.(mp4|webm|mov)$/;

/** The shard's own folder under `root`, named after its store namespace. */
export function shardDownloadDirectory(root: string, namespace: string): string {
  return join(root, namespace.replace(/[^\w.-]/g, '_'));
}

/** Whether `path` is a download in `directory`: a record pointing anywhere else is never read or removed. */
export function isDownloadIn(directory: string, path: string): boolean {
  return resolve(dirname(path)) === resolve(directory) && DOWNLOAD_NAME.test(basename(path));
}

/** The file a download record kept, when it is still there whole (the size recorded); else undefined. */
export async function keptDownload(
  directory: string | undefined,
  record: DownloadRecord | undefined,
): Promise<Extract<DownloadResult, { kind: 'file' }> | undefined> {
  const file = record?.state === 'done' ? record.file : undefined;
  if (directory === undefined || file === undefined || record?.bytes === undefined) return undefined;
  if (!isDownloadIn(directory, file.path)) return undefined;
  const size = await stat(file.path).then(
    (info) => (info.isFile() ? info.size : undefined),
    () => undefined,
  );
  if (size !== record.bytes) return undefined;
  const { path, contentType, publicUrl } = file;
  return {
    kind: 'file',
    path,
    bytes: size,
    contentType,
    publicUrl,
    cleanup: () => rm(path, { force: true }),
  };
}

/** Removes the file a download record kept, if any; a record pointing outside the folder is ignored. */
export async function removeKeptDownload(
  directory: string | undefined,
  record: DownloadRecord | undefined,
): Promise<void> {
  const path = record?.file?.path;
  if (directory !== undefined && path !== undefined && isDownloadIn(directory, path))
    await rm(path, { force: true });
}

/** The total size of the downloads in a folder now. */
export type FolderSize = () => Promise<number>;

/**
 * Measures the folder one scan at a time: callers arriving during a scan share the next one, which
 * begins after their call and so counts the file each just wrote. A scan per download stats every kept
 * file, which with hundreds of deliveries at once cost more CPU than the deliveries themselves.
 */
export function createFolderSize(directory: string): FolderSize {
  let running: Promise<number> | undefined;
  let next: Promise<number> | undefined;
  const scan = () => {
    running = downloadsIn(directory)
      .then((files) => files.reduce((total, file) => total + file.size, 0))
      .finally(() => (running = undefined));
    return running;
  };
  return () => {
    if (!running) return scan();
    next ??= running
      .catch(() => 0)
      .then(() => {
        next = undefined;
        return scan();
      });
    return next;
  };
}

/** Whether the folder, with a finished download already in it, is within `maxBytes`, so the file may stay. */
export async function mayKeepDownloads(
  directory: string,
  maxBytes: number,
  folderSize: FolderSize = createFolderSize(directory),
): Promise<boolean> {
  if (maxBytes <= 0) return false;
  return (await folderSize()) <= maxBytes;
}

/**
 * Removes the downloads older than `startedAt` (this process's start) that no active task refers to:
 * files left by a process that died mid-download or mid-delivery. Creates the folder if it is missing.
 * Returns the paths removed.
 */
export async function sweepDownloadDirectory(options: {
  directory: string;
  store: Pick<TrackingStore, 'activeTaskIds' | 'getTasks'>;
  startedAt: number;
  logger: Logger;
}): Promise<string[]> {
  const { directory, store, startedAt, logger } = options;
  await mkdir(directory, { recursive: true });
  const active = await store.getTasks(await store.activeTaskIds());
  const referenced = new Set<string>();
  for (const task of active.values()) {
    const path = task.delivery?.download?.file?.path;
    if (path !== undefined) referenced.add(resolve(path));
  }
  const removed: string[] = [];
  for (const file of await downloadsIn(directory)) {
    if (file.mtimeMs >= startedAt || referenced.has(resolve(file.path))) continue;
    await rm(file.path, { force: true });
    removed.push(file.path);
  }
  if (removed.length > 0)
    logger.info({ directory, files: removed.length }, 'removed downloads left by a previous process');
  return removed;
}

/** The downloads in the folder now, with their size and last write; none when the folder is missing. */
async function downloadsIn(directory: string): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const files: { path: string; size: number; mtimeMs: number }[] = [];
  for (const name of names) {
    if (!DOWNLOAD_NAME.test(name)) continue;
    const path = join(directory, name);
    // A file removed meanwhile (its delivery finished) is simply not counted.
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
  }
  return files;
}
