/**
 * Discord's `<t:…>` timestamps as its en-US client shows them, for `npm run screenshots`. Pure: "now" is
 * given, and absolute times are in UTC so the picture does not depend on the machine's time zone.
 */

const RELATIVE_STEPS: readonly { below: number; text: (seconds: number) => string }[] = [
  { below: 45, text: () => 'a few seconds' },
  { below: 90, text: () => 'a minute' },
  { below: 45 * 60, text: (s) => `${Math.round(s / 60)} minutes` },
  { below: 90 * 60, text: () => 'an hour' },
  { below: 22 * 3600, text: (s) => `${Math.round(s / 3600)} hours` },
  { below: 36 * 3600, text: () => 'a day' },
  { below: Infinity, text: (s) => `${Math.round(s / 86_400)} days` },
];

/** `<t:…:R>` as Discord's en-US client words it: `5 minutes ago`, `in an hour`. */
export function relativeTime(atMs: number, nowMs: number): string {
  const seconds = Math.abs(atMs - nowMs) / 1000;
  const words = RELATIVE_STEPS.find((step) => seconds < step.below)!.text(seconds);
  return atMs > nowMs ? `in ${words}` : `${words} ago`;
}

const ABSOLUTE_STYLES: Readonly<Record<string, Intl.DateTimeFormatOptions>> = {
  t: { timeStyle: 'short' },
  T: { timeStyle: 'medium' },
  d: { dateStyle: 'short' },
  D: { dateStyle: 'long' },
  f: { dateStyle: 'long', timeStyle: 'short' },
  F: { dateStyle: 'full', timeStyle: 'short' },
};

export function timestampText(atMs: number, style: string, nowMs: number): string {
  if (style === 'R') return relativeTime(atMs, nowMs);
  const options = ABSOLUTE_STYLES[style] ?? ABSOLUTE_STYLES.f!;
  return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(atMs);
}
