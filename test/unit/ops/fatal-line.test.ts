import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs the fixture and reads everything it wrote, slowly enough that its stdout pipe fills. */
async function runFixture(): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/processes/log-then-exit.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (exitCode) => resolve(exitCode)),
  );
  return { code, stdout: Buffer.concat(chunks).toString() };
}

describe('a fatal line written just before process.exit', () => {
  it('reaches the output, even behind a burst of lines the pipe could not take yet', async () => {
    const { code, stdout } = await runFixture();
    expect(code).toBe(3);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toContain('"msg":"the reason it stops"');
    expect(lines.filter((line) => line.includes('"msg":"busy"'))).toHaveLength(20_000);
  }, 60_000);
});
