import type { VideoStatus } from '../domain/video.js';

/**
 * What a progress message shows at the top: the task's own status, or `ended` when tracking stopped for
 * another reason than the task finishing, or `pending` before the first snapshot, or `preparing` while a
 * completed task's file is not there yet.
 */
export type DisplayState = 'pending' | VideoStatus | 'ended' | 'preparing';

export interface StatusLook {
  /** Embed side colour. */
  colour: number;
  icon: string;
  /** Catalogue key of the status name. */
  nameKey: `status.${DisplayState}`;
}

// Discord's own palette, so the colours read well on light and dark themes.
const LOOKS: Readonly<Record<DisplayState, StatusLook>> = {
  pending: { colour: 0x99aab5, icon: '🕒', nameKey: 'status.pending' },
  queued: { colour: 0xfee75c, icon: '⏳', nameKey: 'status.queued' },
  in_progress: { colour: 0x5865f2, icon: '🎬', nameKey: 'status.in_progress' },
  completed: { colour: 0x57f287, icon: '✅', nameKey: 'status.completed' },
  preparing: { colour: 0x57f287, icon: '🎞️', nameKey: 'status.preparing' },
  failed: { colour: 0xed4245, icon: '❌', nameKey: 'status.failed' },
  ended: { colour: 0x747f8d, icon: '⏹️', nameKey: 'status.ended' },
};

export function statusLook(state: DisplayState): StatusLook {
  return LOOKS[state];
}

const BAR_CELLS = 20;

/**
 * A text progress bar such as `▰▰▰▰▱▱…` (20 cells, 5 % each), rounded down so a full bar means 100 %.
 * Unknown progress draws an empty bar.
 */
export function progressBar(percent: number | undefined): string {
  const filled = percent === undefined ? 0 : Math.floor((clampPercent(percent) / 100) * BAR_CELLS);
  return '▰'.repeat(filled) + '▱'.repeat(BAR_CELLS - filled);
}

/** Whole percent in 0–100, so tiny fractional moves between polls do not count as visible changes. */
export function clampPercent(percent: number): number {
  if (!Number.isFinite(percent)) return 0;
  return Math.min(100, Math.max(0, Math.floor(percent)));
}
