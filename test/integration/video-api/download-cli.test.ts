/**
 * `npm run download` as an operator runs it: a child process against the fake API (strict headers),
 * checking the file it writes, what it prints and its exit codes.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgressReporter, renderProgress } from '../../../src/cli/download-progress.js';
import { defaultOutputName, readOptions } from '../../../src/cli/download.js';
import { startFakeVideoApi, videoBytes, type FakeVideoApi } from '../../../testkit/fake-video-api/index.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { API_KEY, tempDirectory } from './support.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let fake: FakeVideoApi;
let dir: Awaited<ReturnType<typeof tempDirectory>>;

function runDownload(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(SORA_|OPENAI_|API_|LOG_LEVEL)/.test(name)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/download.ts', ...args], {
    cwd: ROOT,
    env: {
      ...base,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: fake.baseUrl,
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  fake = await startFakeVideoApi({ apiKey: API_KEY, clock: createManualClock(), strictHeaders: true });
  dir = await tempDirectory();
  fake.addTask({
    id: 'sora-2:task_done',
    dialect: 'seed-relay',
    steps: [{ atMs: 0, status: 'completed' }],
    video: { bytes: 3 * 1024 * 1024 },
  });
  fake.addTask({
    id: 'video_late',
    dialect: 'seed-relay',
    steps: [{ atMs: 0, status: 'completed' }],
    video: { bytes: 1024, publicLink: false, fileReadyAfterMs: 60_000 },
  });
  fake.addTask({ id: 'video_running', steps: [{ atMs: 0, status: 'in_progress', progress: 42 }] });
});
afterAll(async () => {
  await fake.close();
  await dir.remove();
});

describe('npm run download', () => {
  it('saves the video from its public link, byte for byte, with plain progress lines; refuses to overwrite without --force', async () => {
    const out = join(dir.path, 'done.mp4');
    const saved = await runDownload(['sora-2:task_done', '--out', out]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^Saved .*done\.mp4 \(3\.0 MB, video\/mp4\)$/m);
    expect((await readFile(out)).equals(videoBytes(3 * 1024 * 1024))).toBe(true);
    expect(saved.stderr).toMatch(/3\.0 MB \/ 3\.0 MB/);
    expect(saved.stderr).not.toContain('\r');
    const cdn = fake.requests.filter((r) => r.server === 'cdn');
    expect(cdn).toHaveLength(1);
    expect(fake.requests.some((r) => r.route === 'content')).toBe(false);

    await writeFile(out, 'keep me');
    const refused = await runDownload(['sora-2:task_done', '--out', out, '--json']);
    expect(refused.code).toBe(4);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: 'exists' });
    expect(await readFile(out, 'utf8')).toBe('keep me');

    const capped = await runDownload(['sora-2:task_done', '--out', out, '--force', '--max-bytes', '1000']);
    expect(capped.code).toBe(7);
    expect(await readFile(out, 'utf8')).toBe('keep me');
    expect(await dir.files()).toEqual(['done.mp4']);
  }, 60_000);

  it('exits 6 when the API has no file yet, and when the task is still running; writes nothing', async () => {
    const late = await runDownload(['video_late', '--out', join(dir.path, 'late.mp4'), '--json']);
    expect(late.code).toBe(6);
    expect(JSON.parse(late.stdout)).toEqual({
      id: 'video_late',
      outcome: 'not_ready',
      apiStatus: 'processing',
    });
    const running = await runDownload(['video_running', '--out', join(dir.path, 'running.mp4')]);
    expect(running.code).toBe(6);
    expect(running.stdout).toContain('No file yet: the task is still in_progress, 42%');
    expect(await dir.files()).not.toContain('late.mp4');
    expect(await dir.files()).not.toContain('running.mp4');
  }, 60_000);

  it('--help shows the usage and the exit-code table shared with npm run status', async () => {
    const help = await runDownload(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run download -- <task id> [--out FILE]');
    expect(help.stdout).toMatch(
      /^ {2}6 {4}the task is still queued or running, or \(download\) the API has no file for it yet$/m,
    );
    expect(help.stdout).toMatch(/^ {2}7 {4}\(download\) the video is larger than --max-bytes/m);
  }, 60_000);

  it('names the file after the id with unsafe characters replaced, and checks --max-bytes', () => {
    expect(defaultOutputName('sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm')).toBe(
      'sora-2_task_01k81e7r1mf0qtvp3ett3mr4jm.mp4',
    );
    expect(readOptions('v', {})).toMatchObject({ maxBytes: Number.POSITIVE_INFINITY, force: false });
    expect(readOptions('v', { 'max-bytes': 'lots' })).toMatch(/--max-bytes expects/);
  });
});

describe('download progress', () => {
  it('shows bytes of the total, speed and time left', () => {
    const half = 5 * 1024 * 1024;
    expect(renderProgress(half, 2 * half, 2_000)).toBe(
      `[${'█'.repeat(12)}${'░'.repeat(12)}]  5.0 MB / 10.0 MB  2.5 MB/s  ETA 0:02`,
    );
    expect(renderProgress(2048, undefined, 1_000)).toBe('2 KB  2 KB/s');
  });

  it('redraws one line on a terminal, and prints a line per tenth elsewhere', () => {
    let time = 0;
    const tty: string[] = [];
    const onTerminal = createProgressReporter({ isTTY: true, write: (text) => tty.push(text) }, () => time);
    const plain: string[] = [];
    const elsewhere = createProgressReporter({ write: (text) => plain.push(text) }, () => time);
    for (let received = 0; received <= 1000; received += 50) {
      time += 200;
      onTerminal.update(received, 1000);
      elsewhere.update(received, 1000);
    }
    onTerminal.finish();
    elsewhere.finish();
    expect(tty.every((text) => text.startsWith('\r\x1b[2K'))).toBe(true);
    expect(plain).toHaveLength(11);
    expect(plain.every((text) => text.endsWith('\n') && !text.includes('\r'))).toBe(true);
  });
});
