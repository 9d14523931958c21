import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/ops/heap-tuning.js';

const run = promisify(execFile);

describe('the flags node runs the bot with', () => {
  it('are on every npm script that starts the bot, as the benchmark measured it', async () => {
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['start', 'start:sharded']) {
      const command = scripts[name] ?? '';
      expect(command, name).toMatch(/^node /);
      for (const flag of NODE_FLAGS) expect(command.split(' '), name).toContain(flag);
    }
  });

  it('are accepted by this node, so that npm start does not stop at its first step', async () => {
    const { stdout } = await run(process.execPath, [...NODE_FLAGS, '-p', 'JSON.stringify(process.execArgv)']);
    expect((JSON.parse(stdout) as string[]).slice(0, NODE_FLAGS.length)).toEqual(NODE_FLAGS);
  });
});
