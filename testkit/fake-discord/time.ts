/** Discord's ISO8601 timestamps: microseconds and an explicit offset, e.g. `2026-01-01T00:00:00.000000+00:00`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** Seconds with millisecond precision, as rate-limit headers and `retry_after` carry them. */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
