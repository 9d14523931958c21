import { describe, expect, it } from 'vitest';
import { createKeyedMutex, heldKey } from '../../../src/store/keyed-mutex.js';

/** A caller's turn on a key, handed to work it may stop waiting for (a final edit past its grace). */

describe('heldKey', () => {
  it('runs work inside the holder’s turn until it lets go, then makes work wait for the key', async () => {
    const mutex = createKeyedMutex();
    const order: string[] = [];
    let finishInside: () => void = () => undefined;
    let letGo: () => void = () => undefined;
    let late: Promise<void> | undefined;

    const holder = mutex.run('task', async () => {
      const turn = heldKey(mutex, 'task');
      // Inside the turn: runs at once, although the holder has the key.
      const inside = turn.run(async () => {
        order.push('inside started');
        await new Promise<void>((resolve) => (finishInside = resolve));
        order.push('inside done');
      });
      const released = turn.release().then(() => order.push('released'));
      finishInside();
      await Promise.all([inside, released]);
      // After the holder let go of its turn: waits until the holder has let go of the key.
      late = turn.run(() => Promise.resolve(void order.push('late')));
      await new Promise<void>((resolve) => (letGo = resolve));
      order.push('holder done');
    });
    await expect.poll(() => order.length).toBe(3);
    letGo();
    await holder;
    await late;
    expect(order).toEqual(['inside started', 'inside done', 'released', 'holder done', 'late']);
  });
});
