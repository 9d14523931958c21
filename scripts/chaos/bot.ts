/**
 * The bot as operators run it, one OS process at a time (`node --import tsx src/index.ts`, as
 * testkit/process/process.ts spawns it): killed with SIGKILL when the plan says, started again on the same
 * store, and watched for exits nobody asked for (crashes), which are counted and followed by a restart.
 */
import { performance } from 'node:perf_hooks';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';

export interface BotRun {
  index: number;
  /** performance.now() when the process was spawned (the fakes record requests on the same clock). */
  startedAt: number;
  /** Date.now() when it was spawned. */
  startedAtWall: number;
  process: BotProcess;
  /** Why it ended: our SIGKILL, our SIGTERM at the end, or nobody asked (a crash). */
  endedBy: 'sigkill' | 'sigterm' | 'crash' | undefined;
  exit: number | string | undefined;
}

export interface BotSupervisor {
  readonly runs: readonly BotRun[];
  start(): BotRun;
  /** SIGKILL of the running process; resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, as a process manager stops it; resolves with the exit code (0 when it shut down cleanly). */
  stop(): Promise<number | string | undefined>;
  /** SIGTERM, then a new process with `env` on top of the first one's (kept for later starts too). */
  restartWith(env: Record<string, string>): Promise<void>;
  /** Every line any process wrote, stdout and stderr. */
  output(): string;
  crashes(): number;
}

export function createBotSupervisor(options: {
  env: Record<string, string>;
  /** Called when a process exits without being asked to (after it is restarted). */
  onCrash?: (run: BotRun) => void;
}): BotSupervisor {
  const runs: BotRun[] = [];
  let current: BotRun | undefined;
  let env = options.env;

  function start(): BotRun {
    const run: BotRun = {
      index: runs.length,
      startedAt: performance.now(),
      startedAtWall: Date.now(),
      process: spawnBot(env),
      endedBy: undefined,
      exit: undefined,
    };
    runs.push(run);
    current = run;
    void run.process.exited.then((exit) => {
      run.exit = exit;
      if (run.endedBy !== undefined) return;
      // Nobody asked it to stop: a crash. Count it and carry on with a new process, as systemd would.
      run.endedBy = 'crash';
      options.onCrash?.(run);
      if (current === run) start();
    });
    return run;
  }

  return {
    runs,
    start,
    async kill() {
      const run = current;
      if (!run || run.endedBy !== undefined) return;
      run.endedBy = 'sigkill';
      current = undefined;
      await run.process.kill('SIGKILL');
    },
    async stop() {
      const run = current;
      if (!run || run.endedBy !== undefined) return run?.exit;
      run.endedBy = 'sigterm';
      current = undefined;
      return run.process.kill('SIGTERM');
    },
    async restartWith(changes) {
      await this.stop();
      env = { ...env, ...changes };
      start();
    },
    output: () => runs.map((run) => run.process.stdout() + run.process.stderr()).join('\n'),
    crashes: () => runs.filter((run) => run.endedBy === 'crash').length,
  };
}
