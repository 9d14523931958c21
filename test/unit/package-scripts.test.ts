import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * What operators run starts from the compiled dist/ with plain node: no compile step at start and no
 * dev dependency (tsx, TypeScript) needed in production. `scripts/check-production.sh` runs them for
 * real in a fresh clone; this only reads package.json.
 */

const run = promisify(execFile);

async function scripts(): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts;
}

const OPERATOR_COMMANDS = ['start', 'start:sharded', 'status', 'watch', 'deploy-commands'];

describe('the npm scripts operators run', () => {
  it('run a compiled file of dist/ with node, whose source is in src/', async () => {
    const all = await scripts();
    for (const name of OPERATOR_COMMANDS) {
      const command = all[name] ?? '';
      const entry = /^node (?:--\S+ )*dist\/(\S+)\.js$/.exec(command)?.[1];
      expect(entry, `${name}: ${command}`).toBeDefined();
      expect(existsSync(`src/${entry}.ts`), `${name}: src/${entry}.ts`).toBe(true);
    }
  });

  it('compile nothing when started, and need no dev dependency', async () => {
    const all = await scripts();
    for (const name of Object.keys(all).filter((script) => !script.includes(':dev') && script !== 'dev')) {
      const command = all[name] ?? '';
      if (!/^node .*\bdist\//.test(command)) continue;
      expect(command, name).not.toMatch(/\btsx\b|\btsc\b/);
      expect(all[`pre${name}`], `pre${name}`).toBeUndefined();
    }
  });

  it('each have a dev variant that runs the same entry from src/ through tsx', async () => {
    const all = await scripts();
    for (const [name, command] of Object.entries(all)) {
      const entry = /dist\/(\S+)\.js$/.exec(command)?.[1];
      if (entry === undefined) continue;
      const devName = name === 'start' ? 'dev' : name === 'start:sharded' ? 'dev:sharded' : `${name}:dev`;
      expect(all[devName], devName).toMatch(new RegExp(`\\btsx\\b.* src/${entry}\\.ts$`));
    }
  });
});

describe('prepare (run by npm ci)', () => {
  it('builds dist/', async () => {
    const { prepare } = await scripts();
    expect(prepare).toContain('npm run build');
  });

  it('succeeds without the compiler, as under npm ci --omit=dev, leaving dist/ alone', async () => {
    const { prepare } = await scripts();
    const dir = await mkdtemp(join(tmpdir(), 'prepare-'));
    try {
      const { stdout } = await run('sh', ['-c', prepare ?? 'false'], { cwd: dir });
      expect(stdout).toContain('TypeScript is not installed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
