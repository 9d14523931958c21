/** The four states every dialect is folded into (docs/video-api.md#task-statuses). */
export type VideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export const TERMINAL_STATUSES: ReadonlySet<VideoStatus> = new Set(['completed', 'failed']);

/**
 * One normalised reading of a task, whatever relay dialect it came from. Absent facts are
 * `undefined`, never guessed. Knows nothing of Discord.
 */
export interface VideoSnapshot {
  /** The id as the user gave it (relays sometimes echo another form). */
  id: string;
  status: VideoStatus;
  /** The most specific status text the API gave, for display (e.g. `processing` under a `pending`). */
  rawStatus: string;
  /** 0–100, never lower than an earlier reading of the same task; undefined when never reported. */
  progress: number | undefined;
  /** A public link to the MP4 when the API gives one. */
  videoUrl: string | undefined;
  failure: VideoFailure | undefined;
  model: string | undefined;
  /** `WxH` when the API says so, or a label such as `small`. */
  size: string | undefined;
  durationSeconds: number | undefined;
  prompt: string | undefined;
  enhancedPrompt: string | undefined;
  createdAt: Date | undefined;
  completedAt: Date | undefined;
  expiresAt: Date | undefined;
  /** When the relay last refreshed the task upstream (`status_update_time`). */
  statusUpdatedAt: Date | undefined;
  queuePosition: number | undefined;
  estimatedWaitSeconds: number | undefined;
  /** The API's own hint for the next poll (`openai-poll-after-ms` header, docs/video-api.md#refresh-cadence-and-polling), when sent. */
  pollAfterMs?: number | undefined;
}

export interface VideoFailure {
  /** The innermost human-readable reason, clipped; never a raw upstream dump. */
  reason: string;
  /** True when the task was blocked by content moderation. */
  moderation: boolean;
}
