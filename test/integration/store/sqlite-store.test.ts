import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import KeyvSqlite from '@keyv/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTrackingStore, type TrackingStore } from '../../../src/store/index.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { describeStoreContract } from './contract.js';
import { collectingLogger, makeTempDir, sampleSubscription, sampleTask, type LogLine } from './support.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let counter = 0;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(async () => {
  await temp.remove();
});

describeStoreContract('sqlite://', () =>
  createTrackingStore({
    url: `sqlite://${join(temp.dir, `store-${counter++}.sqlite`)}`,
    logger: collectingLogger().logger,
  }),
);

describe('sqlite:// store on disk', () => {
  const open: TrackingStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });
  async function openAt(file: string, logger = collectingLogger().logger) {
    const store = await createTrackingStore({
      url: `sqlite://${file}`,
      logger,
      clock: createManualClock(1_000),
    });
    open.push(store);
    return store;
  }
  /** A second, raw connection to the same file: how corruption gets in behind the store's back. */
  async function rawWrite(file: string, key: string, value: string) {
    const raw = new KeyvSqlite({ uri: `sqlite://${file}` });
    await raw.set(key, value);
    await raw.disconnect();
  }
  async function rawRead(file: string, key: string): Promise<string | undefined> {
    const raw = new KeyvSqlite({ uri: `sqlite://${file}` });
    const value = await raw.get<string>(key);
    await raw.disconnect();
    return value;
  }

  it('creates the parent directory of a relative path', async () => {
    const previous = process.cwd();
    process.chdir(temp.dir);
    try {
      const store = await openAt('data/nested/sora-tracker.sqlite');
      await store.putTask(sampleTask('video_rel'));
      expect((await store.getTask('video_rel'))?.id).toBe('video_rel');
      expect(
        await rawRead(join(temp.dir, 'data/nested/sora-tracker.sqlite'), 'sora-tracker:task:video_rel'),
      ).toContain('video_rel');
    } finally {
      process.chdir(previous);
    }
  });

  it('keeps tasks, subscriptions and every index across a restart on the same file', async () => {
    const file = join(temp.dir, 'restart.sqlite');
    const first = await openAt(file);
    const ids = Array.from({ length: 120 }, (_, i) => `video_${i}`);
    await Promise.all(
      ids.map(async (id, i) => {
        await first.putTask(sampleTask(id, { channelIds: ['c1'] }));
        await first.putSubscription(sampleSubscription(id, 'c1', { messageId: `m${i}`, requesterId: 'u1' }));
        await first.setActive(id, true, { userId: 'u1', guildId: 'g1' });
      }),
    );
    await Promise.all(ids.slice(0, 20).map((id) => first.setActive(id, false)));
    await first.close();

    const second = await openAt(file);
    expect(new Set(await second.activeTaskIds())).toEqual(new Set(ids.slice(20)));
    expect(await second.getTask('video_7')).toEqual(sampleTask('video_7', { channelIds: ['c1'] }));
    expect((await second.getSubscription('video_7', 'c1'))?.messageId).toBe('m7');
    expect((await second.channelTaskIds('c1')).length).toBe(120);
    expect(await second.countActiveForUser('u1')).toBe(100);
    expect(await second.countActiveForGuild('g1')).toBe(100);
  });

  it('moves a record that is not JSON aside, logs it, and keeps working', async () => {
    const file = join(temp.dir, 'garbage.sqlite');
    const { logger, lines } = collectingLogger();
    const store = await openAt(file, logger);
    await store.putTask(sampleTask('video_ok'));
    await rawWrite(file, 'sora-tracker:task:video_bad', '{"value": {"v": 1, "id": "vid');

    expect(await store.getTask('video_bad')).toBeUndefined();
    const logged = lines.find((line) => line.msg.includes('moved aside')) as LogLine;
    expect(logged).toMatchObject({
      key: 'task:video_bad',
      reason: 'not JSON',
      quarantineKey: 'quarantine:task:video_bad:1000',
    });
    expect(logged.level).toBeGreaterThanOrEqual(50);
    // The original bytes are kept for a human to look at; the bad key is gone.
    expect(await rawRead(file, 'sora-tracker:quarantine:task:video_bad:1000')).toContain('"id\\": \\"vid');
    expect(await rawRead(file, 'sora-tracker:task:video_bad')).toBeUndefined();

    // Writing the task again works, and other records were never affected.
    await store.putTask(sampleTask('video_bad'));
    expect((await store.getTask('video_bad'))?.id).toBe('video_bad');
    expect((await store.getTask('video_ok'))?.id).toBe('video_ok');
  });

  it('quarantines a record of the wrong shape with its validation issues', async () => {
    const file = join(temp.dir, 'shape.sqlite');
    const { logger, lines } = collectingLogger();
    const before = await openAt(file, logger);
    await before.putSubscription(sampleSubscription('video_1', 'c1'));
    await before.close();
    await rawWrite(
      file,
      'sora-tracker:sub:video_1:c1',
      JSON.stringify({ value: { v: 1, taskId: 'video_1', channelId: 'c1', state: 'exploded' } }),
    );
    // Damaged while the bot was stopped (a running bot keeps what it wrote and reads it from memory).
    const store = await openAt(file, logger);

    // Read through the task's subscription list: the broken one is left out, and pruned from the index.
    expect(await store.subscriptionsOf('video_1')).toEqual([]);
    expect(await store.channelTaskIds('c1')).toEqual([]);
    const logged = lines.find((line) => line.msg.includes('moved aside'));
    expect(logged).toMatchObject({ key: 'sub:video_1:c1', reason: 'not a valid subscription record' });
    const paths = (logged?.issues as { path: string }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['state', 'requesterId', 'nonce']));
  });

  it('changes a subscription that fails validation as absent, after moving it aside under its lock', async () => {
    const file = join(temp.dir, 'update-damaged.sqlite');
    const { logger, lines } = collectingLogger();
    const store = await openAt(file, logger);
    await rawWrite(
      file,
      'sora-tracker:sub:video_1:c1',
      JSON.stringify({ value: { v: 1, taskId: 'video_1', channelId: 'c1', state: 'exploded' } }),
    );

    // The change holds the record's lock while it reads, and the quarantine needs that same lock.
    const seen: unknown[] = [];
    const updated = await store.updateSubscription('video_1', 'c1', (sub) => void seen.push(sub));
    expect([updated, seen]).toEqual([undefined, [undefined]]);
    expect(lines.find((line) => line.msg.includes('moved aside'))).toMatchObject({ key: 'sub:video_1:c1' });
    expect(await rawRead(file, 'sora-tracker:sub:video_1:c1')).toBeUndefined();
  }, 5_000);

  it('retention deletes quarantined records moved aside before the cutoff', async () => {
    const file = join(temp.dir, 'quarantine-retention.sqlite');
    const store = await openAt(file);
    await rawWrite(file, 'sora-tracker:task:video_bad', 'not json');
    expect(await store.getTask('video_bad')).toBeUndefined();
    const key = 'sora-tracker:quarantine:task:video_bad:1000';
    expect(await rawRead(file, key)).toBeDefined();

    // Moved aside at 1000 (the manual clock): kept until the cutoff is past it.
    expect((await store.pruneEnded(1_000)).quarantined).toBe(0);
    expect(await rawRead(file, key)).toBeDefined();
    expect((await store.pruneEnded(1_001)).quarantined).toBe(1);
    expect(await rawRead(file, key)).toBeUndefined();
  });

  it('retention finds the ended tasks of a file written before ended tasks were listed', async () => {
    const file = join(temp.dir, 'legacy.sqlite');
    // As an earlier version stored it: no endedAt, and no list of ended tasks.
    const { snapshot: _snapshot, ...legacy } = sampleTask('video_legacy', {
      state: 'ended',
      endReason: 'completed',
      lastChangeAt: 5_000,
      lastPolledAt: 6_000,
    });
    await rawWrite(file, 'sora-tracker:task:video_legacy', JSON.stringify({ value: legacy }));
    const store = await openAt(file);
    expect((await store.pruneEnded(6_000)).tasks).toBe(0);
    expect((await store.pruneEnded(6_001)).tasks).toBe(1);
    expect(await rawRead(file, 'sora-tracker:task:video_legacy')).toBeUndefined();
  });

  it('treats a damaged index as empty instead of failing', async () => {
    const file = join(temp.dir, 'index.sqlite');
    const { logger, lines } = collectingLogger();
    const store = await openAt(file, logger);
    await rawWrite(file, 'sora-tracker:idx:active:3', JSON.stringify({ value: { v: 1, members: [1, 2] } }));

    expect(await store.activeTaskIds()).toEqual([]);
    expect(lines.find((line) => line.msg.includes('moved aside'))).toMatchObject({
      key: 'idx:active:3',
      reason: 'not a valid index record',
    });
    await store.setActive('video_x', true);
    expect(await store.activeTaskIds()).toEqual(['video_x']);
  });

  it('leaves a record written by a newer version in place and reads it as absent', async () => {
    const file = join(temp.dir, 'newer.sqlite');
    const { logger, lines } = collectingLogger();
    const store = await openAt(file, logger);
    const future = JSON.stringify({ value: { v: 2, id: 'video_future', somethingNew: true } });
    await rawWrite(file, 'sora-tracker:task:video_future', future);

    expect(await store.getTask('video_future')).toBeUndefined();
    expect(await rawRead(file, 'sora-tracker:task:video_future')).toBe(future);
    expect(lines.find((line) => line.msg.includes('newer version'))).toMatchObject({
      key: 'task:video_future',
      version: 2,
    });
  });

  it('after kill -9 mid-write, the file opens and every task acknowledged before the kill is there', async () => {
    const file = join(temp.dir, 'killed.sqlite');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('fixtures/sqlite-writer.ts', import.meta.url)), file],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let acknowledged = -1;
    const killed = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error('writer exited before it was killed')));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const match of chunk.matchAll(/tracked (\d+)/g)) acknowledged = Number(match[1]);
        if (acknowledged >= 150) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await killed;

    const store = await openAt(file);
    const active = new Set(await store.activeTaskIds());
    for (let n = 0; n <= acknowledged; n++) {
      expect(active.has(`video_${n}`)).toBe(true);
      expect((await store.getTask(`video_${n}`))?.id).toBe(`video_${n}`);
      expect((await store.getSubscription(`video_${n}`, 'c1'))?.messageId).toBe(`m${n}`);
    }
    // Whatever was half-written when the process died reads as whole or absent, never as an error.
    const listed = await store.channelTaskIds('c1');
    expect(listed.length).toBeGreaterThanOrEqual(acknowledged + 1);
    expect(await store.countActiveForUser('u1')).toBeGreaterThanOrEqual(acknowledged + 1);
    await store.putTask(sampleTask('video_after_restart'));
    expect((await store.getTask('video_after_restart'))?.id).toBe('video_after_restart');
  });

  it('drops index entries whose record is missing (a crash between two writes)', async () => {
    const file = join(temp.dir, 'dangling.sqlite');
    const store = await openAt(file);
    await store.putSubscription(sampleSubscription('video_1', 'c1'));
    await store.putSubscription(sampleSubscription('video_2', 'c1'));
    // As if the process died after listing video_3 but before writing its subscription.
    await rawWrite(
      file,
      'sora-tracker:idx:channel-tasks:c1',
      JSON.stringify({ value: { v: 1, members: ['video_1', 'video_2', 'video_3'] } }),
    );
    await store.close();

    const reopened = await openAt(file);
    expect(await reopened.channelTaskIds('c1')).toEqual(['video_1', 'video_2']);
    expect(await rawRead(file, 'sora-tracker:idx:channel-tasks:c1')).not.toContain('video_3');
  });

  it('commits writes made together as they were made: the last write of a key wins, a later delete removes it', async () => {
    const file = join(temp.dir, 'batched.sqlite');
    const store = await openAt(file);
    // Made in one turn of the event loop, so they share statements.
    await Promise.all([
      ...Array.from({ length: 450 }, (_, i) => store.putTask(sampleTask(`video_${i}`))),
      store.putTask(sampleTask('video_twice', { lastChangeAt: 1 })),
      store.putTask(sampleTask('video_twice', { lastChangeAt: 2 })),
      store.putSubscription(sampleSubscription('video_gone', 'c1')),
    ]);
    await Promise.all([
      store.deleteSubscription('video_gone', 'c1'),
      store.putTask(sampleTask('video_after_delete')),
    ]);
    await store.close();

    // What another process (a restart) reads from the file.
    const reopened = await openAt(file);
    expect((await reopened.getTasks(Array.from({ length: 450 }, (_, i) => `video_${i}`))).size).toBe(450);
    expect((await reopened.getTask('video_twice'))?.lastChangeAt).toBe(2);
    expect(await reopened.getSubscription('video_gone', 'c1')).toBeUndefined();
    expect(await rawRead(file, 'sora-tracker:sub:video_gone:c1')).toBeUndefined();
    expect((await reopened.getTask('video_after_delete'))?.id).toBe('video_after_delete');
  });
});
