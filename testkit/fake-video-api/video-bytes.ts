/**
 * Deterministic "video" bytes generated on the fly: byte i is `i % 251`. The fake API streams any
 * length from one shared buffer (nothing the size of the video is ever held), and tests can check a
 * downloaded file at any offset without keeping a copy.
 */
const PERIOD = 251;
export const CHUNK_BYTES = 64 * 1024;
const PATTERN = Buffer.alloc(CHUNK_BYTES + PERIOD, 0);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PERIOD;

/** The expected value of byte `offset` of every fake video. */
export function videoByteAt(offset: number): number {
  return offset % PERIOD;
}

/** A view (not a copy) of `length` ≤ CHUNK_BYTES bytes of the video starting at `offset`. */
export function videoChunk(offset: number, length: number): Buffer {
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + Math.min(length, CHUNK_BYTES));
}

/** The whole video in memory: only for small sizes in tests that compare a file byte for byte. */
export function videoBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = i % PERIOD;
  return out;
}
