import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/ops/logger.js';
import { createTrackingStore } from '../../../src/store/index.js';
import { createRecordCache } from '../../../src/store/record-cache.js';
import { sampleSubscription, sampleTask } from '../../integration/store/support.js';

describe('record cache', () => {
  it('keeps the most recently used records, up to its bound', () => {
    const cache = createRecordCache(2);
    cache.set('a', { n: 1 });
    cache.set('b', { n: 2 });
    expect(cache.get('a')).toEqual({ n: 1 }); // a is now the most recent
    cache.set('c', { n: 3 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ n: 1 });
    expect(cache.size).toBe(2);
  });

  it('hands out frozen records, so a caller cannot change what later reads see', () => {
    const cache = createRecordCache(10);
    cache.set('task', { snapshot: { progress: 10 }, channelIds: ['c1'] });
    const read = cache.get('task') as { snapshot: { progress: number }; channelIds: string[] };
    expect(() => (read.snapshot.progress = 99)).toThrow(TypeError);
    expect(() => read.channelIds.push('c2')).toThrow(TypeError);
  });

  it('never lets a read that started before a write bring back the older value', () => {
    const cache = createRecordCache(10);
    const ticket = cache.beginRead('task');
    cache.set('task', { v: 'new' }); // written while the read was on its way
    cache.fill('task', ticket, { v: 'old' });
    expect(cache.get('task')).toEqual({ v: 'new' });

    const second = cache.beginRead('gone');
    cache.forget('gone'); // deleted while the read was on its way
    cache.fill('gone', second, { v: 'old' });
    expect(cache.get('gone')).toBeUndefined();

    const third = cache.beginRead('quiet');
    cache.fill('quiet', third, { v: 'read' });
    expect(cache.get('quiet')).toEqual({ v: 'read' });
  });

  it('is off with a bound of 0', () => {
    const cache = createRecordCache(0);
    cache.set('a', { n: 1 });
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('tracking store with its record cache', () => {
  const logger = createLogger({ level: 'silent', secrets: [] });

  it('reads back what it wrote without asking the backend; a written record can no longer change', async () => {
    const store = await createTrackingStore({ url: 'memory://', logger });
    const task = sampleTask('video_cached');
    await store.putTask(task);
    expect(() => task.channelIds.push('changed-after-the-write')).toThrow(TypeError);

    const read = await store.getTask('video_cached');
    expect(read?.channelIds).toEqual(['200000000000000001']);
    expect(read?.snapshot?.createdAt).toBeInstanceOf(Date);
    expect(await store.getTask('video_cached')).toBe(read); // the same frozen record, no decode
    await store.close();
  });

  it('forgets a deleted subscription at once', async () => {
    const store = await createTrackingStore({ url: 'memory://', logger });
    await store.putTask(sampleTask('video_sub'));
    await store.putSubscription(sampleSubscription('video_sub', 'c1'));
    expect(await store.getSubscription('video_sub', 'c1')).toBeDefined();
    await store.deleteSubscription('video_sub', 'c1');
    expect(await store.getSubscription('video_sub', 'c1')).toBeUndefined();
    expect(await store.subscriptionsOf('video_sub')).toEqual([]);
    await store.close();
  });
});
