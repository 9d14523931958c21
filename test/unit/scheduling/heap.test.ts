import { describe, expect, it } from 'vitest';
import { createKeyedMinHeap } from '../../../src/scheduling/heap.js';
import { seededRandom } from '../../../testkit/logging/capture-logger.js';

describe('keyed min-heap', () => {
  it('pops keys in due order, FIFO among equals, through random inserts, moves and removals', () => {
    const random = seededRandom(11);
    const heap = createKeyedMinHeap<string>();
    const reference = new Map<string, { priority: number; order: number }>();
    let order = 0;
    for (let step = 0; step < 5_000; step++) {
      const key = `k${Math.floor(random() * 300)}`;
      const action = random();
      if (action < 0.6) {
        const priority = Math.floor(random() * 50); // many ties
        heap.set(key, priority);
        reference.set(key, { priority, order: order++ });
      } else if (action < 0.8) {
        expect(heap.delete(key)).toBe(reference.delete(key));
      } else {
        const expected = [...reference.entries()].sort(
          ([, a], [, b]) => a.priority - b.priority || a.order - b.order,
        )[0];
        expect(heap.peekPriority()).toBe(expected?.[1].priority ?? Infinity);
        expect(heap.pop()).toBe(expected?.[0]);
        if (expected) reference.delete(expected[0]);
      }
      expect(heap.size).toBe(reference.size);
      expect(heap.has(key)).toBe(reference.has(key));
      expect(heap.priorityOf(key)).toBe(reference.get(key)?.priority);
    }
  });
});
