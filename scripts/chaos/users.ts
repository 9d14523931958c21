/**
 * People using the bot during the campaign: each planned track is typed as `/sora track` at its
 * moment, and retried the way a person would when the answer says "try again" or never comes (the bot
 * was killed, the API was down, the channel had lost a permission). Every attempt and answer is kept:
 * what a person was told is the ground truth the accounting starts from.
 */
import type { FakeChannel, FakeDiscord, FakeUser } from '../../testkit/fake-discord/index.js';
import type { PlannedTask, PlannedTrack } from './plan.js';
import type { ChaosWorld } from './world.js';

export type AnswerKind = 'confirmed' | 'retryable' | 'refused' | 'failed' | 'no_answer';

/** One task tracked in one channel by one person: the unit results are counted in. */
export interface Pair {
  task: PlannedTask;
  track: PlannedTrack;
  channel: FakeChannel;
  user: FakeUser;
  /** Date.now() of the first command (the local Discord stamps messages on the same clock). */
  firstIssuedAt: number | undefined;
  /** Date.now() of the first answer saying it is tracked. */
  confirmedAt: number | undefined;
  /** From the link in the confirmation. */
  progressMessageId: string | undefined;
  attempts: { issuedAt: number; answeredAt: number; kind: AnswerKind; text: string }[];
  /** Retries ran out without a confirmation. */
  gaveUp: boolean;
}

/**
 * How an answer reads to a person. Confirmations link the progress message; "try again" answers are
 * retried; anything else (an invalid id, an unknown task) is final.
 */
export function classifyAnswer(text: string): Exclude<AnswerKind, 'failed' | 'no_answer'> {
  if (/^Tracking |is already tracked in this channel/.test(text)) return 'confirmed';
  if (
    /cannot be reached|limiting requests|refused this bot's API key|Could not post the progress message|Something went wrong|I cannot post the progress message in this channel/.test(
      text,
    )
  )
    return 'retryable';
  return 'refused';
}

const MESSAGE_LINK = /channels\/\d+\/\d+\/(\d+)/;

export interface UserSimulation {
  readonly pairs: Pair[];
  /** Types every track of the task at its moments, with retries; resolves when all are settled. */
  trackTask(task: PlannedTask): Promise<void>;
}

export function createUserSimulation(options: {
  discord: FakeDiscord;
  world: ChaosWorld;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** How long a person keeps retrying one track before giving up. */
  patienceMs: number;
  /** How long a person waits for an answer before typing the command again. */
  answerTimeoutMs: number;
}): UserSimulation {
  const { discord, world, now, sleep } = options;
  const pairs: Pair[] = [];

  /** One command and what came of it: an answer, "This interaction failed", or nothing in time. */
  async function attempt(pair: Pair): Promise<{ kind: AnswerKind; text: string }> {
    const handle = discord.interactions.command({
      user: pair.user,
      channel: pair.channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: pair.task.id, ...(pair.track.notify ? { notify: true } : {}) },
    });
    try {
      return await discord.waitFor(
        () => {
          if (handle.status() === 'failed') return { kind: 'failed' as const, text: '' };
          const text = handle.original()?.current.content ?? '';
          return text === '' ? undefined : { kind: classifyAnswer(text), text };
        },
        // Deferred at once, answered within seconds (API retries, Discord's pacing); after that a person
        // assumes the bot lost the command and types it again.
        { timeoutMs: options.answerTimeoutMs, description: `an answer to /sora track ${pair.task.id}` },
      );
    } catch {
      return { kind: 'no_answer', text: '' };
    }
  }

  async function trackPair(pair: Pair): Promise<void> {
    const giveUpAt = now() + options.patienceMs;
    for (let tries = 1; ; tries++) {
      const issuedAt = now();
      pair.firstIssuedAt ??= issuedAt;
      const answer = await attempt(pair);
      pair.attempts.push({ issuedAt, answeredAt: now(), ...answer });
      if (answer.kind === 'confirmed') {
        pair.confirmedAt = now();
        pair.progressMessageId = MESSAGE_LINK.exec(answer.text)?.[1];
        return;
      }
      if (answer.kind === 'refused' || now() >= giveUpAt) {
        pair.gaveUp = true;
        return;
      }
      // A person waits a little longer each time before trying again.
      await sleep(Math.min(4_000, 500 * tries));
    }
  }

  return {
    pairs,
    async trackTask(task) {
      await Promise.all(
        task.tracks.map(async (track) => {
          const pair: Pair = {
            task,
            track,
            channel: world.channels[track.channel]!,
            user: world.member(track.channel, track.user),
            firstIssuedAt: undefined,
            confirmedAt: undefined,
            progressMessageId: undefined,
            attempts: [],
            gaveUp: false,
          };
          pairs.push(pair);
          await sleep(track.delayMs);
          await trackPair(pair);
        }),
      );
    },
  };
}
