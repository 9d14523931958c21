/**
 * A small seeded PRNG (mulberry32) so a campaign's fault plan is a pure function of its seed: the same
 * seed replays the same tasks, faults and kill moments.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export const MAX_SEED = 0xffffffff;

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (probability) => next() < probability,
  };
  return random;
}

/** A seed given on the command line: a whole number from 0 to 4294967295. */
export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`--seed expects a whole number, got "${text}"`);
  const seed = Number(text.trim());
  if (!Number.isSafeInteger(seed) || seed > MAX_SEED) throw new Error(`--seed must be at most ${MAX_SEED}`);
  return seed;
}
