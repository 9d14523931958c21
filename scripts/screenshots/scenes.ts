/**
 * What the screenshot shows, made by the bot's own renderers (src/render/) from fixed tasks and a fixed
 * clock, so the picture changes only when the messages do: a task in progress, a completed one with its
 * result reply and the MP4 attached, and a failed one with its result reply. All in en-US.
 */
import { messageUrl, renderProgressMessage, type ProgressView } from '../../src/render/index.js';
import { renderResultMessage } from '../../src/render/result.js';
import type { ResultContent } from '../../src/delivery/delivery.js';
import type { VideoSnapshot } from '../../src/domain/video.js';
import { BOT_AVATAR, VIDEO_POSTER } from './assets.js';
import type { MarkupContext, ShownAuthor, ShownMessage } from './markup.js';

/** The moment the screenshot is taken: Thursday 15 January 2026, noon UTC. */
export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const LOCALE = 'en-US';

const GUILD_ID = '1187654321098765432';
const CHANNEL_ID = '1187654321098765433';
const ALICE_ID = '1187654321098765434';
export const CHANNEL_NAME = 'renders';

const BOT: ShownAuthor = { name: 'Sora Tracker', avatar: BOT_AVATAR, bot: true };

export const CONTEXT: MarkupContext = {
  now: NOW,
  users: { [ALICE_ID]: 'alice' },
  channels: { [CHANNEL_ID]: CHANNEL_NAME },
  // Seen by alice, who asked for all three: the messages that ping her are highlighted.
  viewerId: ALICE_ID,
};

export interface Section {
  caption: string;
  messages: ShownMessage[];
}

/** `Today at 11:58 AM`, as Discord's en-US client labels today's messages (UTC here). */
function postedAt(ms: number): string {
  const time = new Intl.DateTimeFormat('en-US', { timeStyle: 'short', timeZone: 'UTC' }).format(ms);
  return `Today at ${time}`;
}

function snapshot(overrides: Partial<VideoSnapshot> & Pick<VideoSnapshot, 'id' | 'status'>): VideoSnapshot {
  return {
    rawStatus: overrides.status,
    progress: undefined,
    videoUrl: undefined,
    failure: undefined,
    model: 'sora-2',
    size: '1280x720',
    durationSeconds: 8,
    prompt: undefined,
    enhancedPrompt: undefined,
    createdAt: undefined,
    completedAt: undefined,
    expiresAt: undefined,
    statusUpdatedAt: undefined,
    queuePosition: undefined,
    estimatedWaitSeconds: undefined,
    ...overrides,
  };
}

function progressView(
  task: VideoSnapshot,
  view: Omit<ProgressView, 'locale' | 'taskId' | 'snapshot' | 'requesterId'>,
): ProgressView {
  return { locale: LOCALE, taskId: task.id, snapshot: task, requesterId: ALICE_ID, ...view };
}

function inProgress(): Section {
  const task = snapshot({
    id: 'video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5',
    status: 'in_progress',
    progress: 62,
    prompt: 'A corgi surfing a turquoise wave at golden hour, slow motion, cinematic',
    createdAt: new Date(NOW - 6 * MINUTE),
    estimatedWaitSeconds: 150,
  });
  const trackedAt = NOW - 5 * MINUTE;
  const view = progressView(task, { trackedAt, lastUpdateAt: NOW - 20_000, tracking: { state: 'active' } });
  return {
    caption: 'In progress: edited as the task moves on',
    messages: [
      {
        author: BOT,
        timestamp: postedAt(trackedAt),
        edited: true,
        payload: renderProgressMessage(view, NOW),
      },
    ],
  };
}

/** A finished task: the progress message in its final state, and the result that replies to it. */
function ended(input: {
  caption: string;
  task: VideoSnapshot;
  reason: 'completed' | 'failed';
  content: ResultContent;
  progressMessageId: string;
  video?: ShownMessage['video'];
}): Section {
  const { task } = input;
  const trackedAt = task.createdAt!.getTime() + MINUTE;
  const endedAt = task.completedAt!.getTime();
  const view = progressView(task, {
    trackedAt,
    lastUpdateAt: endedAt,
    tracking: { state: 'ended', reason: input.reason },
    resultUrl: messageUrl(GUILD_ID, CHANNEL_ID, `${BigInt(input.progressMessageId) + 1n}`),
  });
  const result = renderResultMessage({
    locale: LOCALE,
    taskId: task.id,
    requesterId: ALICE_ID,
    snapshot: task,
    content: input.content,
    progressMessageId: input.progressMessageId,
  });
  return {
    caption: input.caption,
    messages: [
      {
        author: BOT,
        timestamp: postedAt(trackedAt),
        edited: true,
        payload: renderProgressMessage(view, NOW),
      },
      {
        author: BOT,
        timestamp: postedAt(endedAt + 10_000),
        // Discord's reply bar for a message with only an embed.
        replyTo: { author: BOT, preview: '*Click to see original message*' },
        payload: result,
        ...(input.video ? { video: input.video } : {}),
      },
    ],
  };
}

function completed(): Section {
  const task = snapshot({
    id: 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60',
    status: 'completed',
    progress: 100,
    size: '1280x720',
    durationSeconds: 12,
    prompt: 'A paper boat drifting down a rain-soaked neon street at night, reflections, 35mm film look',
    createdAt: new Date(NOW - 14 * MINUTE),
    completedAt: new Date(NOW - 3 * MINUTE),
  });
  const bytes = Math.round(6.4 * 1024 * 1024);
  return ended({
    caption: 'Completed: the final state, and the video as a reply',
    task,
    reason: 'completed',
    content: { kind: 'attached', video: { path: 'video.mp4', bytes, contentType: 'video/mp4' } },
    progressMessageId: '1187654321098765501',
    video: { poster: VIDEO_POSTER, duration: '0:12' },
  });
}

function failed(): Section {
  const task = snapshot({
    id: 'video_68d75c3e9a7c8190b1f4d2e6a0c3b5d7098e1f2a3b4c5d6e',
    status: 'failed',
    progress: 34,
    size: '720x1280',
    prompt: 'Time-lapse of a city skyline from dusk to night, clouds racing, lights turning on',
    failure: {
      reason: 'Video generation failed due to an internal error. Please try again.',
      moderation: false,
    },
    createdAt: new Date(NOW - 9 * MINUTE),
    completedAt: new Date(NOW - 2 * MINUTE),
  });
  return ended({
    caption: 'Failed: what went wrong, said to the person who asked',
    task,
    reason: 'failed',
    content: { kind: 'failed' },
    progressMessageId: '1187654321098765601',
  });
}

export function sections(): Section[] {
  return [inProgress(), completed(), failed()];
}
