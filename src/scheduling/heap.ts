/**
 * A binary min-heap of keys ordered by a numeric priority (a due time), with O(log n) insert, move and
 * removal by key. Equal priorities come out in the order they were set, so queues stay FIFO.
 * The schedulers keep one of these instead of a timer per item.
 */
export interface KeyedMinHeap<K> {
  readonly size: number;
  has(key: K): boolean;
  priorityOf(key: K): number | undefined;
  /** Inserts the key, or moves it when already present. */
  set(key: K, priority: number): void;
  delete(key: K): boolean;
  /** The key with the lowest priority, without removing it. */
  peekKey(): K | undefined;
  /** The lowest priority, or Infinity when empty. */
  peekPriority(): number;
  pop(): K | undefined;
}

export function createKeyedMinHeap<K>(): KeyedMinHeap<K> {
  // Parallel arrays: no object per entry, which matters at 10,000 tasks.
  const keys: K[] = [];
  const priorities: number[] = [];
  const sequences: number[] = [];
  const positions = new Map<K, number>();
  let nextSequence = 0;

  const less = (a: number, b: number): boolean =>
    priorities[a]! < priorities[b]! || (priorities[a] === priorities[b] && sequences[a]! < sequences[b]!);

  function swap(a: number, b: number): void {
    const key = keys[a]!;
    const priority = priorities[a]!;
    const sequence = sequences[a]!;
    keys[a] = keys[b]!;
    priorities[a] = priorities[b]!;
    sequences[a] = sequences[b]!;
    keys[b] = key;
    priorities[b] = priority;
    sequences[b] = sequence;
    positions.set(keys[a], a);
    positions.set(keys[b], b);
  }

  function siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!less(child, parent)) break;
      swap(child, parent);
      child = parent;
    }
  }

  function siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < keys.length && less(left, smallest)) smallest = left;
      if (right < keys.length && less(right, smallest)) smallest = right;
      if (smallest === parent) break;
      swap(parent, smallest);
      parent = smallest;
    }
  }

  function removeAt(index: number): K {
    const key = keys[index]!;
    const last = keys.length - 1;
    if (index !== last) swap(index, last);
    keys.pop();
    priorities.pop();
    sequences.pop();
    positions.delete(key);
    if (index < keys.length) {
      siftDown(index);
      siftUp(index);
    }
    return key;
  }

  return {
    get size() {
      return keys.length;
    },
    has: (key) => positions.has(key),
    priorityOf(key) {
      const index = positions.get(key);
      return index === undefined ? undefined : priorities[index];
    },
    set(key, priority) {
      const existing = positions.get(key);
      if (existing !== undefined) removeAt(existing);
      const index = keys.length;
      keys.push(key);
      priorities.push(priority);
      sequences.push(nextSequence++);
      positions.set(key, index);
      siftUp(index);
    },
    delete(key) {
      const index = positions.get(key);
      if (index === undefined) return false;
      removeAt(index);
      return true;
    },
    peekKey: () => keys[0],
    peekPriority: () => (keys.length === 0 ? Infinity : priorities[0]!),
    pop: () => (keys.length === 0 ? undefined : removeAt(0)),
  };
}
