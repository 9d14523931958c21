import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * `npm run demo` as a newcomer runs it: a separate process, no token, no network. The assertions read its
 * transcript the way a person would: the command, the progress message edit by edit, the final state.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(): {
  child: ChildProcess;
  done: Promise<{ code: number | string; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: ROOT,
    // Nothing inherited: the demo must need no token, key or setting from the environment.
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code: code ?? signal ?? -1, stdout, stderr }));
  });
  return { child, done };
}

/** The transcript's entries for one message: its header line and the lines under it. */
function entriesFor(stdout: string, label: string): { header: string; body: string[] }[] {
  const entries: { header: string; body: string[] }[] = [];
  let current: { header: string; body: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    if (/^\s*[+−]\d+\.\ds {2}/.test(line)) {
      current = line.includes(`${label} —`) ? { header: line, body: [] } : undefined;
      if (current) entries.push(current);
    } else if (current && /^\s+│/.test(line)) {
      current.body.push(line.replace(/^\s+│ ?/, ''));
    }
  }
  return entries;
}

describe('npm run demo', () => {
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    running = undefined;
  });

  it('tells the whole /sora track story, from the typed command to the video in the channel and in a DM', async () => {
    const demo = runDemo();
    running = demo.child;
    const { code, stdout, stderr } = await demo.done;

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/on 127\.0\.0\.1: no Discord token, no network/);
    expect(stdout).toContain('alice in #renders types:');
    expect(stdout).toContain('/sora track id:sora-2:task_01k6x15vhrff09dkkqjrzwhm60 notify:true');

    // The ephemeral answer, seen by alice only, points at the progress message.
    const reply = entriesFor(stdout, '/sora reply · only alice sees it');
    expect(reply.at(-1)?.body.join('\n')).toMatch(/Tracking .*‹#renders › message 1›/);

    // The progress message, version by version: queued, rising progress, completed; nobody pinged.
    const progress = entriesFor(stdout, '#renders › message 1');
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress[0]!.header).toMatch(/new by Sora Tracker/);
    expect(progress[0]!.body.join('\n')).toMatch(/⏳ Queued/);
    expect(progress[0]!.body.join('\n')).toContain(
      'Prompt: A corgi surfing a turquoise wave at golden hour, slow motion, cinematic',
    );
    for (const entry of progress) expect(entry.header).toContain('pings nobody');
    const percents = progress.flatMap((entry) =>
      entry.body.filter((line) => /^[▰▱]/.test(line)).flatMap((line) => /(\d+)%/.exec(line)?.[1] ?? []),
    );
    expect(percents.map(Number)).toEqual([...new Set(percents.map(Number))].sort((a, b) => a - b));
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect(percents.at(-1)).toBe('100');
    const states = progress.flatMap((entry) =>
      entry.body.filter((line) => /^(⏳ Queued|🎬 In progress|✅ Completed)$/.test(line)),
    );
    expect(states).toEqual(['⏳ Queued', '🎬 In progress', '✅ Completed']);
    // While the task runs the message has buttons; the final state links to the result.
    expect(progress[0]!.body.some((line) => /^(\[[^\]]+\] ?)+$/.test(line))).toBe(true);
    expect(progress.at(-1)!.body.join('\n')).toContain('‹#renders › message 2›');

    // The result: a reply to the progress message that pings alice, with the MP4 exactly as served.
    const [result, ...moreResults] = entriesFor(stdout, '#renders › message 2');
    expect(moreResults).toEqual([]);
    expect(result!.header).toMatch(
      /new by Sora Tracker · ↩ replies to #renders › message 1 · 🔔 pings @alice$/,
    );
    expect(result!.body.join('\n')).toMatch(
      /📎 \S+\.mp4 · 384\.0 KiB \(393,216 bytes\)[^\n]*\n {2}✔ byte for byte the MP4/,
    );

    // alice asked for a DM: exactly one, with the video and a link to the channel's result.
    const dms = entriesFor(stdout, 'DM to alice');
    expect(dms).toHaveLength(1);
    expect(dms[0]!.body.join('\n')).toContain('‹#renders › message 2›');
    expect(dms[0]!.body.join('\n')).toMatch(/📎 \S+\.mp4 · 384\.0 KiB[^\n]*\n {2}✔ byte for byte the MP4/);

    expect(stdout).toContain('✔ the progress message in #renders reached the final state: Completed');
    expect(stdout).not.toContain('✘');
    expect(stdout).toMatch(/✔ Demo complete\.\n$/);
    // Logs stay out of the transcript, and a pipe gets no colour codes.
    expect(stdout).not.toMatch(/^\{"level"/m);
    expect(stdout).not.toContain('\u001b[');
  }, 90_000);
});
