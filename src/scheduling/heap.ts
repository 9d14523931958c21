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

/** The heap's storage: parallel arrays, no object per entry, which matters at 10,000 tasks. */
interface HeapArrays<K> {
  readonly keys: K[];
  readonly priorities: number[];
  /** When each entry was set, to break ties first come first out. */
  readonly sequences: number[];
  /** Where each key sits in the arrays. */
  readonly positions: Map<K, number>;
}

export function createKeyedMinHeap<K>(): KeyedMinHeap<K> {
  const heap: HeapArrays<K> = { keys: [], priorities: [], sequences: [], positions: new Map() };
  const { keys, priorities, positions } = heap;
  let nextSequence = 0;

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
      if (existing !== undefined) removeAt(heap, existing);
      const index = keys.length;
      keys.push(key);
      priorities.push(priority);
      heap.sequences.push(nextSequence++);
      positions.set(key, index);
      siftUp(heap, index);
    },
    delete(key) {
      const index = positions.get(key);
      if (index === undefined) return false;
      removeAt(heap, index);
      return true;
    },
    peekKey: () => keys[0],
    peekPriority: () => (keys.length === 0 ? Infinity : priorities[0]!),
    pop: () => (keys.length === 0 ? undefined : removeAt(heap, 0)),
  };
}

function less<K>({ priorities, sequences }: HeapArrays<K>, a: number, b: number): boolean {
  return (
    priorities[a]! < priorities[b]! || (priorities[a] === priorities[b] && sequences[a]! < sequences[b]!)
  );
}

function swap<K>({ keys, priorities, sequences, positions }: HeapArrays<K>, a: number, b: number): void {
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

function siftUp<K>(heap: HeapArrays<K>, index: number): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!less(heap, child, parent)) break;
    swap(heap, child, parent);
    child = parent;
  }
}

function siftDown<K>(heap: HeapArrays<K>, index: number): void {
  const size = heap.keys.length;
  let parent = index;
  for (;;) {
    const left = 2 * parent + 1;
    const right = left + 1;
    let smallest = parent;
    if (left < size && less(heap, left, smallest)) smallest = left;
    if (right < size && less(heap, right, smallest)) smallest = right;
    if (smallest === parent) break;
    swap(heap, parent, smallest);
    parent = smallest;
  }
}

/** Takes out the entry at `index` and restores the heap order around the one moved into its place. */
function removeAt<K>(heap: HeapArrays<K>, index: number): K {
  const { keys, priorities, sequences, positions } = heap;
  const key = keys[index]!;
  const last = keys.length - 1;
  if (index !== last) swap(heap, index, last);
  keys.pop();
  priorities.pop();
  sequences.pop();
  positions.delete(key);
  if (index < keys.length) {
    siftDown(heap, index);
    siftUp(heap, index);
  }
  return key;
}
