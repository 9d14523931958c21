/**
 * The operator CLIs as an operator runs them: child processes (`node --import tsx src/cli/…`) against
 * the fake API, checking what they print and their exit codes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProgressLine } from '../../../src/cli/watch.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { startFakeVideoApi, type FakeVideoApi } from '../../../testkit/fake-video-api/index.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { API_KEY } from './support.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/seeds/${name}`, import.meta.url), 'utf8');
const clock = createManualClock();
let fake: FakeVideoApi;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  script: 'status' | 'watch',
  args: string[],
  env: Record<string, string | undefined> = {},
): { done: Promise<CliRun>; exited: () => boolean } {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(SORA_|OPENAI_|API_|LOG_LEVEL)/.test(name)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
    cwd: ROOT,
    env: {
      ...base,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: fake.baseUrl,
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      resolve({ code, stdout, stderr });
    }),
  );
  return { done, exited: () => exited };
}

/** Moves the task timeline on by `stepMs` each time the watcher polls, until it exits. */
async function driveWatch(run: ReturnType<typeof runCli>, taskId: string, stepMs: number): Promise<CliRun> {
  const finished = run.done.then(() => undefined);
  while (!run.exited()) {
    await Promise.race([fake.waitForRequest((r) => r.route === 'status' && r.taskId === taskId), finished]);
    await clock.advance(stepMs);
  }
  return run.done;
}

beforeAll(async () => {
  fake = await startFakeVideoApi({ apiKey: API_KEY, clock, strictHeaders: true });
  fake.addTask({
    id: 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60',
    steps: [{ atMs: 0, body: fixture('get-video-pending.json') }],
  });
  fake.addTask({
    id: 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980',
    steps: [{ atMs: 0, body: fixture('get-video-completed.json') }],
  });
  fake.addTask({
    id: 'video_blocked',
    steps: [
      {
        atMs: 0,
        status: 'failed',
        failure: {
          code: 'moderation_blocked',
          message: 'Your request was blocked by our moderation system.',
        },
      },
    ],
  });
  fake.addTask({
    id: 'watch-ok',
    dialect: 'seed-relay',
    steps: [
      { atMs: 0, status: 'queued', queuePosition: 2 },
      { atMs: 1_000, status: 'in_progress', progress: 25 },
      { atMs: 2_000, status: 'in_progress', progress: 50 },
      { atMs: 3_000, status: 'in_progress', progress: 75 },
      { atMs: 4_000, status: 'completed' },
    ],
  });
  fake.addTask({
    id: 'watch-fail',
    dialect: 'new-api',
    steps: [
      { atMs: 0, status: 'in_progress', progress: 30 },
      { atMs: 1_000, status: 'failed', failure: { message: 'Render node lost' } },
    ],
  });
});

afterAll(async () => {
  await fake.close();
});

describe.concurrent('npm run status', () => {
  it('prints a completed task readably and exits 0', async () => {
    const { code, stdout } = await runCli('status', ['video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980']).done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Status:\s+completed$/m);
    expect(stdout).toMatch(/^Progress:\s+100%$/m);
    expect(stdout).toMatch(/^Duration:\s+10 s$/m);
    expect(stdout).toMatch(
      /^Video URL:\s+https:\/\/midjourney-plus\.oss-us-west-1\.aliyuncs\.com\/sora\/cc4fb429/m,
    );
  });

  it('prints a running task with its nested status and exits 6', async () => {
    const { code, stdout } = await runCli('status', ['sora-2:task_01k6x15vhrff09dkkqjrzwhm60']).done;
    expect(code).toBe(6);
    expect(stdout).toMatch(/^Status:\s+in_progress \(processing\)$/m);
    expect(stdout).toMatch(/^Progress:\s+93%$/m);
    expect(stdout).toMatch(/^Created:\s+2025-10-06 15:10:26 UTC$/m);
  });

  it('--json prints the snapshot as JSON', async () => {
    const { code, stdout } = await runCli('status', ['sora-2:task_01k6x15vhrff09dkkqjrzwhm60', '--json'])
      .done;
    expect(code).toBe(6);
    expect(JSON.parse(stdout)).toMatchObject({
      status: 'in_progress',
      rawStatus: 'processing',
      progress: 93,
    });
  });

  it('a failed task exits 1 and shows the moderation block', async () => {
    const { code, stdout } = await runCli('status', ['video_blocked']).done;
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^Failure:\s+Your request was blocked by our moderation system\. \[moderation\]$/m,
    );
  });

  it('an unknown task exits 2', async () => {
    const { code, stderr } = await runCli('status', ['video_nobody_knows']).done;
    expect(code).toBe(2);
    expect(stderr).toContain('not_found');
  });

  it('a wrong key exits 3 without printing the key', async () => {
    const wrongKey = 'sk-wrong-0123456789abcdefghij';
    const { code, stdout, stderr } = await runCli('status', ['video_blocked'], { SORA_API_KEY: wrongKey })
      .done;
    expect(code).toBe(3);
    expect(stderr).toContain('HTTP 401');
    expect(stdout + stderr).not.toContain(wrongKey);
  });

  it('an invalid id exits 4 before any request', async () => {
    const { code, stderr } = await runCli('status', ['../admin']).done;
    expect(code).toBe(4);
    expect(stderr).toContain('A task id is');
    expect(fake.requests.some((r) => r.url.includes('admin'))).toBe(false);
  });

  it('no id at all exits 4 with the usage', async () => {
    const { code, stderr } = await runCli('status', []).done;
    expect(code).toBe(4);
    expect(stderr).toContain('Usage: npm run status -- <task id>');
  });

  it('a missing key exits 4 with one line naming the variable', async () => {
    const { code, stderr } = await runCli('status', ['video_blocked'], { SORA_API_KEY: undefined }).done;
    expect(code).toBe(4);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Configuration error: SORA_API_KEY is required: the API key/),
    ]);
  });

  it('a missing base URL exits 4 with one line naming the variable and what a relay URL looks like', async () => {
    const { code, stderr } = await runCli('status', ['video_blocked'], { SORA_BASE_URL: undefined }).done;
    expect(code).toBe(4);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Configuration error: SORA_BASE_URL is required: your relay's OpenAI-format base URL, e\.g\. https:\/\/relay\.example\.com\/v1/,
      ),
    ]);
  });

  it('an unreachable API exits 5', async () => {
    const closed = await startFakeVideoApi({ apiKey: API_KEY });
    const baseUrl = closed.baseUrl;
    await closed.close();
    const { code, stderr } = await runCli('status', ['video_1'], { SORA_BASE_URL: baseUrl }).done;
    expect(code).toBe(5);
    expect(stderr).toContain('Could not reach the video API');
  });
});

describe('npm run watch', () => {
  it('shows one line per change until the task completes, then the snapshot; exits 0', async () => {
    const result = await driveWatch(runCli('watch', ['watch-ok', '--interval', '0.02']), 'watch-ok', 1_000);
    expect(result.code).toBe(0);
    const bars = result.stdout.split('\n').filter((line) => line.startsWith('['));
    const percents = bars.map((line) => Number(/(\d+|\?)%/.exec(line)![1]!.replace('?', '0')));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(bars[0]).toContain('queued');
    expect(bars.at(-1)).toMatch(/100%\s+completed/);
    expect(new Set(bars).size).toBe(bars.length);
    expect(result.stdout).toMatch(/^Status:\s+completed$/m);
  });

  it('exits 1 when the task fails, with the reason', async () => {
    const result = await driveWatch(
      runCli('watch', ['watch-fail', '--interval', '0.02']),
      'watch-fail',
      1_000,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Failure:\s+Render node lost$/m);
  });

  it('exits 2 for an unknown task', async () => {
    const { code, stderr } = await runCli('watch', ['video_nobody_knows', '--interval', '0.02']).done;
    expect(code).toBe(2);
    expect(stderr).toContain('not_found');
  });

  it('renders the progress bar in proportion, and an unknown progress as ?%', () => {
    const base = {
      id: 'v',
      status: 'in_progress',
      rawStatus: 'processing',
      queuePosition: undefined,
    } as VideoSnapshot;
    const half = renderProgressLine({ ...base, progress: 50 });
    expect(half).toBe(`[${'█'.repeat(15)}${'░'.repeat(15)}]  50%  in_progress (processing)`);
    expect(
      renderProgressLine({
        ...base,
        progress: undefined,
        queuePosition: 3,
        status: 'queued',
        rawStatus: 'queued',
      }),
    ).toBe(`[${'░'.repeat(30)}]   ?%  queued  queue #3`);
  });
});
