import { describe, expect, it } from 'vitest';
import type { PermissionName } from '../../testkit/fake-discord/constants.js';
import type { FakeMessage } from '../../testkit/fake-discord/index.js';
import { videoBytes, type TaskStep } from '../../testkit/fake-video-api/index.js';
import { createManualClock, type ManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, useStack, type Stack } from './harness.js';

/**
 * A channel where the bot lacks only some permissions still gets its result: the link when it may not
 * attach files, a plain message when it may not read the history it would reply to, plain text when it
 * may not embed. Only a channel where it cannot post at all is dropped. The permissions are channel
 * overwrites on the bot's role, set while the task runs, as a server's moderators would.
 */
const KiB = 1024;
const DONE_AT_MS = 60_000;

/** Queued, then running (a progress edit), then completed once the test moves the API's clock. */
const STEPS: TaskStep[] = [
  { atMs: 0, status: 'queued', queuePosition: 2 },
  { atMs: DONE_AT_MS / 2, status: 'in_progress', progress: 50 },
  { atMs: DONE_AT_MS, status: 'completed', progress: 100 },
];

async function startTracking(
  options: { id: string; dialect: 'seed-relay' | 'openai'; notify?: boolean } & { apiClock: ManualClock },
  createStack: ReturnType<typeof useStack>,
): Promise<{ stack: Stack; progress: FakeMessage }> {
  const stack = await createStack({ apiClock: options.apiClock });
  stack.api.addTask({ id: options.id, dialect: options.dialect, steps: STEPS, video: { bytes: 200 * KiB } });
  await stack.startBot();
  await stack
    .sora('track', { id: options.id, ...(options.notify ? { notify: true } : {}) })
    .waitForOriginal((m) => m.current.content.includes('Tracking'));
  return { stack, progress: stack.progressMessages()[0]! };
}

/** Denies permissions on the bot's role in the channel, and waits until the bot's cache has heard it. */
async function deny(stack: Stack, permissions: PermissionName[]): Promise<void> {
  const botRole = stack.guild.roles.get(stack.guild.botRoleId)!;
  stack.discord.world.setOverwrite(stack.channel, botRole, { deny: permissions });
  await stack.discord.waitFor(
    () => {
      const channel = stack.app?.client.channels.cache.get(stack.channel.id);
      const me = channel && !channel.isDMBased() ? channel.guild.members.me : null;
      const bits = channel && !channel.isDMBased() && me ? channel.permissionsFor(me) : null;
      return bits && !bits.any(permissions) ? true : undefined;
    },
    { description: `the bot to hear that ${permissions.join(', ')} are denied` },
  );
}

/** The clock moves past the running step, then past the end; the bot sees each on its next poll. */
async function runToCompletion(apiClock: ManualClock, stack: Stack, id: string): Promise<void> {
  await apiClock.advance(DONE_AT_MS / 2);
  await stack.api.waitForRequest((r) => r.route === 'status' && r.taskId === id);
  await apiClock.advance(DONE_AT_MS / 2);
}

function botMessagesAfter(stack: Stack, progress: FakeMessage): FakeMessage[] {
  return stack.botMessages().filter((m) => m.id !== progress.id);
}

/** Every answer the local Discord gave with `status` to a message post or edit. */
function refused(stack: Stack, status: number): { method: string; code: number | undefined }[] {
  return stack.discord.counters
    .log()
    .filter((e) => e.status === status && e.route.startsWith('/channels/'))
    .map((e) => ({ method: e.method, code: e.code }));
}

describe('delivery in a channel where the bot lacks a permission', () => {
  const createStack = useStack();

  it('without Attach Files: the link, as a reply to the progress message, with nothing refused', async () => {
    const apiClock = createManualClock(Date.now());
    const { stack, progress } = await startTracking(
      { id: 'video_no_files', dialect: 'seed-relay', apiClock },
      createStack,
    );
    await deny(stack, ['AttachFiles']);
    await runToCompletion(apiClock, stack, 'video_no_files');

    const [result] = await stack.discord.waitFor(
      () => (botMessagesAfter(stack, progress).length > 0 ? botMessagesAfter(stack, progress) : undefined),
      { description: 'the result message', timeoutMs: 20_000 },
    );
    expect(result!.current.attachments).toEqual([]);
    expect(result!.current.content).toContain(`${stack.api.cdnOrigin}/files/video_no_files`);
    expect(result!.current.content).toMatch(/not allowed to attach files in this channel/);
    expect(result!.current.messageReference?.message_id).toBe(progress.id);
    expect(result!.current.pings.users).toEqual([stack.alice.id]);
    await stack.discord.waitFor(
      () => /Completed/.test(embedText(progress)) && embedText(progress).includes(result!.id),
      {
        description: 'the progress message to link the result',
      },
    );
    // Decided from the permissions the bot already knew: Discord refused nothing.
    expect(refused(stack, 403)).toEqual([]);
  });

  it('tracks in a channel without Attach Files and Read Message History, says how the result will come, and links it', async () => {
    const apiClock = createManualClock(Date.now());
    const stack = await createStack({ apiClock });
    stack.api.addTask({
      id: 'video_from_start',
      dialect: 'seed-relay',
      steps: STEPS,
      video: { bytes: 200 * KiB },
    });
    await stack.startBot();
    await deny(stack, ['AttachFiles', 'ReadMessageHistory']);
    const answer = await stack
      .sora('track', { id: 'video_from_start' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    expect(answer.current.content).toMatch(/the video will come as a link/);
    expect(answer.current.content).toMatch(/a new message rather than a reply/);
    const progress = stack.progressMessages()[0]!;
    await runToCompletion(apiClock, stack, 'video_from_start');

    const [result] = await stack.discord.waitFor(
      () => (botMessagesAfter(stack, progress).length > 0 ? botMessagesAfter(stack, progress) : undefined),
      { description: 'the result message', timeoutMs: 20_000 },
    );
    expect(result!.current.attachments).toEqual([]);
    expect(result!.current.content).toContain(`${stack.api.cdnOrigin}/files/video_from_start`);
    expect(result!.current.messageReference ?? undefined).toBeUndefined();
    expect(refused(stack, 403)).toEqual([]);
  });

  it('when Discord refuses the upload (403 50013) although the bot thought it could attach, the link follows', async () => {
    const apiClock = createManualClock(Date.now());
    const { stack, progress } = await startTracking(
      { id: 'video_stale', dialect: 'seed-relay', apiClock },
      createStack,
    );
    stack.discord.faults.failNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      status: 403,
      code: 50013,
      message: 'Missing Permissions',
    });
    await runToCompletion(apiClock, stack, 'video_stale');

    const [result] = await stack.discord.waitFor(
      () => (botMessagesAfter(stack, progress).length > 0 ? botMessagesAfter(stack, progress) : undefined),
      { description: 'the result message', timeoutMs: 20_000 },
    );
    expect(result!.current.attachments).toEqual([]);
    expect(result!.current.content).toContain(`${stack.api.cdnOrigin}/files/video_stale`);
    expect(result!.current.messageReference?.message_id).toBe(progress.id);
    expect(refused(stack, 403)).toEqual([{ method: 'POST', code: 50013 }]);
    expect(botMessagesAfter(stack, progress)).toHaveLength(1);
  });

  it('without Embed Links or Read Message History: the video still arrives, attached, as a plain message', async () => {
    const apiClock = createManualClock(Date.now());
    const { stack, progress } = await startTracking(
      { id: 'video_plain', dialect: 'openai', apiClock },
      createStack,
    );
    await deny(stack, ['EmbedLinks', 'ReadMessageHistory']);
    await runToCompletion(apiClock, stack, 'video_plain');

    const [result] = await stack.discord.waitFor(
      () => (botMessagesAfter(stack, progress).length > 0 ? botMessagesAfter(stack, progress) : undefined),
      { description: 'the result message', timeoutMs: 20_000 },
    );
    expect(result!.current.attachments[0]?.data.equals(videoBytes(200 * KiB))).toBe(true);
    expect(result!.current.embeds).toEqual([]);
    expect(result!.current.messageReference).toBeNull();
    expect(result!.current.content).toContain('video_plain');
    expect(result!.current.pings.users).toEqual([stack.alice.id]);
    // The progress embed could not be edited any more; it was left as it was, and nothing was refused.
    expect(embedText(progress)).not.toMatch(/Completed/);
    expect(refused(stack, 403)).toEqual([]);
  });

  it('without Send Messages: nothing is posted, the channel is dropped after one refusal, the DM still goes', async () => {
    const apiClock = createManualClock(Date.now());
    const { stack, progress } = await startTracking(
      { id: 'video_mute', dialect: 'seed-relay', notify: true, apiClock },
      createStack,
    );
    await deny(stack, ['SendMessages']);
    await apiClock.advance(DONE_AT_MS);

    const [dm] = await stack.discord.waitFor(
      () => {
        const dms = stack.discord.messages.dmsTo(stack.alice);
        return dms.length > 0 ? dms : undefined;
      },
      { description: 'the DM', timeoutMs: 20_000 },
    );
    expect(dm!.current.attachments).toHaveLength(1);
    await stack.app!.tracker.settled();
    expect(botMessagesAfter(stack, progress)).toEqual([]);
    expect(refused(stack, 403)).toEqual([{ method: 'POST', code: 50013 }]);
    // Nothing left to retry: the task is no longer tracked in the channel.
    const list = await stack
      .sora('list')
      .waitForOriginal((m) => m.current.content.length > 0 || m.current.embeds.length > 0);
    expect(list.current.content).toMatch(/No video tasks are tracked in this channel/);
    expect(refused(stack, 403)).toHaveLength(1);
  });
});
