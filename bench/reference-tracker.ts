/**
 * The naive tracker the benchmark compares against, modelled on the peers in peers.md Part A (Arty's
 * progress loop, aiyabot, discomfy): every task polls the API on a fixed 5-second period, the progress
 * message is edited whenever its text changed (`if (text !== cached) await message.edit(…)`), and every
 * Discord request goes through discord.js's default REST queueing (per-route queues, the global 50/s
 * limit, waits after 429s). When a task ends it downloads the MP4, posts it as a reply and edits the
 * progress message a last time. State is kept in memory, loaded from a list at start (as after a restart).
 *
 * It is benchmark code, written to be typical rather than clever; it is never part of the bot.
 */
import { Client, GatewayIntentBits, Routes } from 'discord.js';

export interface ReferenceTask {
  id: string;
  channelId: string;
  messageId: string;
  requesterId: string;
  /** The text the progress message shows now. */
  shownText: string;
}

export interface ReferenceTrackerOptions {
  apiBaseUrl: string;
  apiKey: string;
  discordApiUrl: string;
  discordToken: string;
  tasks: readonly ReferenceTask[];
  pollIntervalMs?: number;
}

export interface ReferenceTracker {
  /** Resolves when every task has ended and its result was handed to discord.js. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

interface RelayVideo {
  status?: string;
  progress?: number;
  error?: { message?: string };
}

const TITLES: Record<string, string> = {
  queued: '⏳ Queued',
  in_progress: '🎬 In progress',
  completed: '✅ Completed',
  failed: '❌ Failed',
};

/** The progress message: a title and a bar, like the peers' embeds. */
export function referenceEmbed(video: RelayVideo): { title: string; description: string } {
  const status = video.status ?? 'queued';
  const percent = status === 'completed' ? 100 : Math.max(0, Math.min(100, Math.floor(video.progress ?? 0)));
  const filled = Math.floor(percent / 5);
  const bar = '▰'.repeat(filled) + '▱'.repeat(20 - filled);
  const reason = status === 'failed' ? `\n${video.error?.message ?? 'failed'}` : '';
  return { title: TITLES[status] ?? status, description: `${bar} ${percent}%${reason}` };
}

export function referenceText(video: RelayVideo): string {
  const embed = referenceEmbed(video);
  return `${embed.title}\n${embed.description}`;
}

export async function startReferenceTracker(options: ReferenceTrackerOptions): Promise<ReferenceTracker> {
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const headers = { authorization: `Bearer ${options.apiKey}` };
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: options.discordApiUrl } });
  await client.login(options.discordToken);
  let stopped = false;

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function finish(task: ReferenceTask, video: RelayVideo): Promise<void> {
    const files = [];
    if (video.status === 'completed') {
      const response = await fetch(`${options.apiBaseUrl}/videos/${task.id}/content`, { headers });
      files.push({ name: `${task.id}.mp4`, data: Buffer.from(await response.arrayBuffer()) });
    }
    const outcome = video.status === 'completed' ? 'is ready' : 'failed';
    await client.rest.post(Routes.channelMessages(task.channelId), {
      body: {
        content: `<@${task.requesterId}> your video ${task.id} ${outcome}`,
        message_reference: { message_id: task.messageId },
        allowed_mentions: { users: [task.requesterId] },
      },
      files,
    });
  }

  async function track(task: ReferenceTask): Promise<void> {
    // Each task starts its loop when it is loaded; a restart spreads them over one period.
    await sleep(Math.random() * pollIntervalMs);
    while (!stopped) {
      try {
        const response = await fetch(`${options.apiBaseUrl}/videos/${task.id}`, { headers });
        const video = (await response.json()) as RelayVideo;
        const text = referenceText(video);
        const ended = video.status === 'completed' || video.status === 'failed';
        // The result first, then the last edit of the progress message.
        if (ended) await finish(task, video);
        if (text !== task.shownText) {
          task.shownText = text;
          const edit = client.rest.patch(Routes.channelMessage(task.channelId, task.messageId), {
            body: { embeds: [referenceEmbed(video)], allowed_mentions: { parse: [] } },
          });
          // Progress edits are not awaited, so the loop keeps its 5-second beat.
          if (ended) await edit;
          else edit.catch((error: unknown) => console.error('edit failed', task.id, error));
        }
        if (ended) return;
      } catch (error) {
        console.error('poll failed', task.id, error);
      }
      await sleep(pollIntervalMs);
    }
  }

  const done = Promise.all(options.tasks.map((task) => track({ ...task }))).then(() => undefined);
  return {
    done,
    async stop() {
      stopped = true;
      await client.destroy();
    },
  };
}
