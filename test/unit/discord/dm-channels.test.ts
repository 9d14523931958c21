import { describe, expect, it } from 'vitest';
import { createDmChannels } from '../../../src/discord/dm-channels.js';
import { fakePacer, fakePort } from './fakes.js';

describe('DM channels', () => {
  it('opens each user’s DM once while remembered, and remembers only the most recent users', async () => {
    const { port, opened } = fakePort();
    const dms = createDmChannels(port, fakePacer().pacer, 3);

    expect(await dms.channelOf('u1')).toBe('dm-u1');
    expect(await dms.channelOf('u1')).toBe('dm-u1');
    expect(opened).toEqual(['u1']);

    for (const user of ['u2', 'u3']) await dms.channelOf(user);
    await dms.channelOf('u1'); // u1 is the most recent again; u2 is now the oldest
    await dms.channelOf('u4');
    expect(dms.size).toBe(3);
    await dms.channelOf('u1');
    expect(opened).toEqual(['u1', 'u2', 'u3', 'u4']);
    // u2 was forgotten: opened again (one request, same channel).
    expect(await dms.channelOf('u2')).toBe('dm-u2');
    expect(opened).toEqual(['u1', 'u2', 'u3', 'u4', 'u2']);

    for (let i = 0; i < 1_000; i++) await dms.channelOf(`many-${i}`);
    expect(dms.size).toBe(3);
  });

  it('opens again after a failed open', async () => {
    const { port, opened, failures } = fakePort();
    failures.openDm.push(new Error('gateway hiccup'));
    const dms = createDmChannels(port, fakePacer().pacer);
    await expect(dms.channelOf('u1')).rejects.toThrow('gateway hiccup');
    expect(await dms.channelOf('u1')).toBe('dm-u1');
    expect(opened).toEqual(['u1', 'u1']);
  });
});
