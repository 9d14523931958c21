/**
 * Measuring the download folder while many deliveries keep files at once: each caller's answer counts
 * the file it just wrote, and the callers share scans instead of each statting every file (with hundreds
 * of deliveries at once, that scan cost more CPU than the deliveries themselves; docs/performance.md#soak).
 */
import type * as FsPromises from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFolderSize } from '../../../src/delivery/download-dir.js';

const stats = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const stat = ((...args: Parameters<typeof real.stat>) => {
    stats.count += 1;
    return real.stat(...args);
  }) as typeof real.stat;
  return { ...real, stat, default: { ...real, stat } };
});

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sora-folder-size-'));
  stats.count = 0;
});
afterEach(() => rm(directory, { recursive: true, force: true }));

describe('the download folder measured for many deliveries at once', () => {
  it('counts each caller its own file just written, with far fewer stats than one scan per caller', async () => {
    const folderSize = createFolderSize(directory);
    const callers = 60;
    let written = 0;
    const answers = await Promise.all(
      Array.from({ length: callers }, async (_, i) => {
        await writeFile(join(directory, `sora-task_${i}-x.mp4`), Buffer.alloc(100));
        written += 1;
        return { written, total: await folderSize() };
      }),
    );
    // At least the files written before the call, its own among them.
    for (const answer of answers) expect(answer.total).toBeGreaterThanOrEqual(answer.written * 100);
    // Every file was in the folder by the last answer.
    expect(Math.max(...answers.map((a) => a.total))).toBe(callers * 100);
    // One scan per caller would stat about callers²/2 files (1,830 here).
    expect(stats.count).toBeLessThan(callers * 5);
  });
});
