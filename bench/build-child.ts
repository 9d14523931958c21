/**
 * Bundles a tracker's child process to plain JavaScript before the runs, so that its CPU and memory
 * figures carry no TypeScript loader. Packages stay external and load from node_modules as usual.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuiltChild } from './run-workload.js';

const benchDir = dirname(fileURLToPath(import.meta.url));

export async function buildChild(): Promise<BuiltChild> {
  // Under node_modules so that the bundles resolve packages from the project.
  const outdir = join(benchDir, '..', 'node_modules', '.cache', 'sora-tracker-bench');
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { 'child-preload': join(benchDir, 'child-preload.ts'), child: join(benchDir, 'child.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return { preload: join(outdir, 'child-preload.mjs'), entry: join(outdir, 'child.mjs') };
}
