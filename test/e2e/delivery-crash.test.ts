import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FakeChannel, FakeMessage } from '../../testkit/fake-discord/index.js';
import { rampSteps } from '../../testkit/fake-video-api/index.js';
import { embedText, useStack, type Stack } from './harness.js';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';

/**
 * Exactly once, whatever moment the process dies: the bot is killed with SIGKILL at each point of
 * delivery, started again on the same SQLite file, and every subscribed channel ends with exactly one
 * result message and the user who asked with exactly one DM.
 */
const MESSAGES_ROUTE = '/channels/:channel_id/messages';

function results(stack: Stack, channel: FakeChannel): FakeMessage[] {
  return stack.botMessages(channel).filter((m) => m.versions[0]?.messageReference);
}

/** Transfers of the video that reached their end. */
/** Holds each message create once Discord made it, until one is the DM; returns its release. */
async function holdTheDm(stack: Stack): Promise<() => void> {
  for (;;) {
    const hold = stack.discord.faults.holdNext({ method: 'POST', route: MESSAGES_ROUTE, phase: 'after' });
    await hold.reached;
    if (stack.discord.messages.dmsTo(stack.alice).length > 0) return () => hold.release();
    hold.release();
  }
}

/** Starts the bot as its own process and waits until it has connected (it registers its commands then). */
async function startConnectedBot(stack: Stack): Promise<BotProcess> {
  const bot = spawnBot(stack.env);
  await stack.discord.waitFor(() => stack.discord.commands.global().length > 0, {
    description: 'the bot to connect',
    timeoutMs: 20_000,
  });
  return bot;
}

function finishedTransfers(stack: Stack): number {
  return stack.api.transfers.filter((t) => !t.closedEarly && t.bytesSent === t.bytesPlanned).length;
}

/** The video files in the bot's download folder (each shard has a folder in DOWNLOAD_DIR). */
function downloadsLeft(stack: Stack): string[] {
  const folder = stack.env.DOWNLOAD_DIR!;
  const entries = existsSync(folder) ? readdirSync(folder, { recursive: true, encoding: 'utf8' }) : [];
  return entries.filter((name) => /sora-[^/]*\.mp4$/.test(name));
}

describe('delivery survives a crash at every point', () => {
  const createStack = useStack();

  const points = {
    'before the download': async (stack: Stack) => {
      // The download starts and never finishes: the process dies in the middle of it.
      stack.api.addFault({ route: 'file', fault: { kind: 'stall' } });
      await stack.api.waitForRequest((r) => r.route === 'file', { includePast: true });
      return () => stack.api.clearFaults();
    },
    'in the middle of the download': async (stack: Stack) => {
      // Part of the file is on disk when the process dies: the restarted one removes it at start.
      stack.api.addFault({ route: 'file', fault: { kind: 'stall-body', afterBytes: 16 * 1024 } });
      await stack.discord.waitFor(() => downloadsLeft(stack).length > 0, {
        description: 'part of the video on disk',
      });
      return () => stack.api.clearFaults();
    },
    'between the download and the post': async (stack: Stack) => {
      // The result's create reaches Discord, which has done nothing yet when the process dies.
      const hold = stack.discord.faults.holdNext({ method: 'POST', route: MESSAGES_ROUTE, phase: 'before' });
      await hold.reached;
      return () => hold.drop();
    },
    'between the post and its record': async (stack: Stack) => {
      // Discord created the result message; the process dies before it hears back and records it.
      const hold = stack.discord.faults.holdNext({ method: 'POST', route: MESSAGES_ROUTE, phase: 'after' });
      await hold.reached;
      return () => hold.release();
    },
    'between the post and its record, past the nonce memory': async (stack: Stack) => {
      // As above, and the restart comes after Discord forgot the nonce: only a look-up finds the post.
      const hold = stack.discord.faults.holdNext({ method: 'POST', route: MESSAGES_ROUTE, phase: 'after' });
      await hold.reached;
      return () => {
        hold.release();
        stack.discord.messages.forgetNonces();
      };
    },
  };

  for (const [point, arrange] of Object.entries(points)) {
    it(`killed ${point}: one result per channel, one DM`, async () => {
      const stack = await createStack();
      const second = stack.discord.world.textChannel(stack.guild, { name: 'second' });
      stack.api.addTask({
        id: 'video_crash',
        dialect: 'seed-relay',
        steps: rampSteps(1_500, { steps: 2 }),
        video: { bytes: 128 * 1024 },
      });
      const bots: BotProcess[] = [];
      try {
        bots.push(await startConnectedBot(stack));
        await stack
          .sora('track', { id: 'video_crash', notify: true })
          .waitForOriginal((m) => m.current.content.includes('Tracking'));
        await stack
          .sora('track', { id: 'video_crash' }, { channel: second })
          .waitForOriginal((m) => m.current.content.includes('Tracking'));

        const cleanUp = await arrange(stack);
        expect(await bots[0]!.kill('SIGKILL')).toBe('SIGKILL');
        const downloadedBeforeKill = finishedTransfers(stack);
        cleanUp();

        bots.push(spawnBot(stack.env));
        for (const channel of [stack.channel, second]) {
          const [progress] = stack.progressMessages(channel);
          await stack.discord.waitFor(
            () => {
              const [result] = results(stack, channel);
              return result && embedText(progress!).includes(result.id);
            },
            { description: `the final state linking the result in #${channel.name}`, timeoutMs: 25_000 },
          );
        }
        await stack.discord.waitFor(() => stack.discord.messages.dmsTo(stack.alice).length > 0, {
          description: 'the DM',
          timeoutMs: 10_000,
        });

        expect(results(stack, stack.channel)).toHaveLength(1);
        expect(results(stack, second)).toHaveLength(1);
        expect(stack.progressMessages(stack.channel)).toHaveLength(1);
        expect(stack.progressMessages(second)).toHaveLength(1);
        expect(stack.discord.messages.dmsTo(stack.alice)).toHaveLength(1);
        expect(results(stack, stack.channel)[0]!.current.attachments).toHaveLength(1);
        // A file downloaded before the kill is sent after the restart: no second download.
        if (point.startsWith('between')) expect(finishedTransfers(stack)).toBe(downloadedBeforeKill);
        // Nothing is left in the download folder: what the dead process wrote was sent, then removed.
        await stack.discord.waitFor(() => downloadsLeft(stack).length === 0, {
          description: 'the download folder to be empty',
        });
      } finally {
        for (const bot of bots) await bot.kill();
      }
    });
  }

  it('killed between the DM and its record, past the nonce memory: one DM', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_dm',
      dialect: 'seed-relay',
      steps: rampSteps(1_500, { steps: 2 }),
      video: { bytes: 128 * 1024 },
    });
    const bots: BotProcess[] = [];
    try {
      bots.push(await startConnectedBot(stack));
      const dmHeld = holdTheDm(stack);
      await stack
        .sora('track', { id: 'video_dm', notify: true })
        .waitForOriginal((m) => m.current.content.includes('Tracking'));
      // Discord created the DM; the process dies before it records it, and Discord forgets the nonce.
      const release = await dmHeld;
      expect(await bots[0]!.kill('SIGKILL')).toBe('SIGKILL');
      release();
      stack.discord.messages.forgetNonces();
      // The file is kept until the DM is recorded: its removal says the restarted bot finished.
      expect(downloadsLeft(stack)).not.toHaveLength(0);

      bots.push(spawnBot(stack.env));
      await stack.discord.waitFor(() => downloadsLeft(stack).length === 0, {
        description: 'the delivery to finish',
        timeoutMs: 25_000,
      });
      expect(stack.discord.messages.dmsTo(stack.alice)).toHaveLength(1);
      expect(results(stack, stack.channel)).toHaveLength(1);
    } finally {
      for (const bot of bots) await bot.kill();
    }
  });
});
