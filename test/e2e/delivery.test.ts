import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTrackingStore } from '../../src/store/index.js';
import { createLogger } from '../../src/ops/logger.js';
import type { FakeMessage } from '../../testkit/fake-discord/index.js';
import { rampSteps, videoBytes } from '../../testkit/fake-video-api/index.js';
import { embedText, useStack, type Stack } from './harness.js';

/**
 * Delivering the finished video end to end: what the channel and the DMs show when a task ends, for
 * every way the video can or cannot be handed over.
 */
const MiB = 1024 * 1024;

/** The result message: the bot's reply to the progress message. */
function resultOf(stack: Stack, progress: FakeMessage): FakeMessage | undefined {
  return stack.botMessages().find((m) => m.versions[0]?.messageReference?.message_id === progress.id);
}

/** The video files left in the bot's download folder (each shard has a folder in DOWNLOAD_DIR). */
function downloadsLeft(stack: Stack): string[] {
  const folder = stack.env.DOWNLOAD_DIR!;
  const entries = existsSync(folder) ? readdirSync(folder, { recursive: true, encoding: 'utf8' }) : [];
  return entries.filter((name) => /sora-[^/]*\.mp4$/.test(name));
}

async function trackUntilResult(stack: Stack, id: string, options: { notify?: boolean } = {}) {
  await stack
    .sora('track', { id, ...(options.notify ? { notify: true } : {}) })
    .waitForOriginal((m) => m.current.content.includes('Tracking'));
  const progress = stack.botMessages().find((m) => embedText(m).includes(id))!;
  const result = await stack.discord.waitFor(() => resultOf(stack, progress), {
    description: `the result message for ${id}`,
    timeoutMs: 20_000,
  });
  return { progress, result };
}

describe('delivery of the finished video', () => {
  const createStack = useStack();

  it('attaches a small video with its bytes unchanged, pings only the requester, and links it from the progress message', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_small',
      dialect: 'openai',
      steps: rampSteps(600, { steps: 2 }),
      video: { bytes: 300 * 1024 },
    });
    await stack.startBot();
    const { progress, result } = await trackUntilResult(stack, 'video_small');

    const [file] = result.current.attachments;
    expect(file?.filename).toMatch(/\.mp4$/);
    expect(file?.data.equals(videoBytes(300 * 1024))).toBe(true);
    expect(result.current.pings).toEqual({ users: [stack.alice.id], roles: [], everyone: false });
    expect(result.current.allowedMentions).toEqual({ parse: [], users: [stack.alice.id] });
    expect(result.current.content).toContain('300 KB');

    await stack.discord.waitFor(() => embedText(progress).includes(result.id), {
      description: 'the progress message to link the result',
    });
    expect(embedText(progress)).toMatch(/Completed/);
    expect(progress.current.pings.users).toEqual([]);
    expect(stack.botMessages()).toHaveLength(2);
  });

  it('links a video too large for the channel, with its size', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_large',
      dialect: 'seed-relay',
      steps: rampSteps(600, { steps: 2 }),
      video: { bytes: 12 * MiB },
    });
    await stack.startBot();
    const { result } = await trackUntilResult(stack, 'video_large');
    expect(result.current.attachments).toHaveLength(0);
    expect(result.current.content).toContain(`${stack.api.cdnOrigin}/files/video_large`);
    expect(result.current.content).toMatch(/12\.0 MB/);
    // The download stopped as soon as the size was known: far less than 12 MiB crossed the wire.
    const sent = stack.api.transfers.reduce((sum, t) => sum + t.bytesSent, 0);
    expect(sent).toBeLessThan(12 * MiB);
  });

  it('explains a video too large to attach when the API gives no public link', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_huge',
      dialect: 'openai',
      steps: rampSteps(600, { steps: 2 }),
      video: { bytes: 12 * MiB },
    });
    await stack.startBot();
    const { result } = await trackUntilResult(stack, 'video_huge');
    expect(result.current.attachments).toHaveLength(0);
    expect(result.current.content).toMatch(/too large to attach here/);
    expect(result.current.content).toMatch(/smaller size or a shorter duration/);
  });

  it('falls back to the link when Discord refuses the upload (413 / 40005)', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_413',
      dialect: 'seed-relay',
      steps: rampSteps(800, { steps: 2 }),
      video: { bytes: 200 * 1024 },
    });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_413' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    stack.discord.faults.failNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      status: 413,
      code: 40005,
    });
    const progress = stack.botMessages()[0]!;
    const result = await stack.discord.waitFor(() => resultOf(stack, progress), {
      description: 'the result',
      timeoutMs: 20_000,
    });
    expect(result.current.attachments).toHaveLength(0);
    expect(result.current.content).toContain(`${stack.api.cdnOrigin}/files/video_413`);
  });

  it('after Discord fails the result with 5xx, posts the same download again: the MP4 crosses the wire once', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_502',
      dialect: 'seed-relay',
      steps: rampSteps(800, { steps: 2 }),
      video: { bytes: 200 * 1024 },
    });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_502' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    // More 502s than discord.js retries: the first delivery fails and is tried again on a later poll.
    stack.discord.faults.failNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      status: 502,
      count: 4,
    });
    const progress = stack.botMessages()[0]!;
    const result = await stack.discord.waitFor(() => resultOf(stack, progress), {
      description: 'the result',
      timeoutMs: 20_000,
    });
    expect(stack.logs.some((line) => line.includes('result could not be posted; will retry'))).toBe(true);
    expect(result.current.attachments[0]?.data.equals(videoBytes(200 * 1024))).toBe(true);
    expect(stack.api.transfers.filter((t) => t.taskId === 'video_502')).toHaveLength(1);
    expect(stack.botMessages()).toHaveLength(2);
    // Once delivered, the kept file is gone.
    await stack.discord.waitFor(() => embedText(progress).includes(result.id), {
      description: 'the final state',
    });
    await stack.app!.tracker.settled();
    expect(downloadsLeft(stack)).toEqual([]);
  });

  it('tries a download that fails for a passing reason again, and attaches the video once the host recovers', async () => {
    const stack = await createStack();
    const id = 'video_flaky_host';
    stack.api.addTask({
      id,
      dialect: 'seed-relay',
      steps: rampSteps(600, { steps: 2 }),
      video: { bytes: 150 * 1024 },
    });
    // The CDN link and /content both answer 502, more often than the client's own tries.
    for (const route of ['file', 'content'] as const)
      stack.api.addFault({ route, taskId: id, times: Infinity, fault: { kind: 'status', status: 502 } });
    await stack.startBot();
    await stack.sora('track', { id }).waitForOriginal((m) => m.current.content.includes('Tracking'));
    const progress = stack.botMessages()[0]!;
    await stack.discord.waitFor(
      () => embedText(progress).includes('could not be fetched from the video API'),
      {
        description: 'the progress message to say the video is being fetched again',
        timeoutMs: 20_000,
      },
    );
    expect(embedText(progress)).toContain('Preparing the video');
    expect(resultOf(stack, progress)).toBeUndefined();

    stack.api.clearFaults();
    const result = await stack.discord.waitFor(() => resultOf(stack, progress), {
      description: 'the result once the host recovered',
      timeoutMs: 20_000,
    });
    expect(result.current.attachments[0]?.data.equals(videoBytes(150 * 1024))).toBe(true);
    expect(result.current.content).not.toContain(stack.api.cdnOrigin);
    expect(stack.botMessages()).toHaveLength(2);
  });

  it('reports a failed task with its reason, and names a moderation block', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_fail',
      steps: rampSteps(600, { steps: 2, end: 'failed', failure: { message: 'Upstream render crashed' } }),
    });
    stack.api.addTask({
      id: 'video_blocked',
      steps: rampSteps(600, {
        steps: 2,
        end: 'failed',
        failure: {
          message: 'Your request was blocked by our moderation system.',
          code: 'moderation_blocked',
          moderation: true,
        },
      }),
    });
    await stack.startBot();
    const failed = await trackUntilResult(stack, 'video_fail');
    expect(failed.result.current.content).toMatch(/failed: Upstream render crashed/);
    await stack.discord.waitFor(() => /Upstream render crashed/.test(embedText(failed.progress)), {
      description: 'the reason in the final state',
    });
    const blocked = await trackUntilResult(stack, 'video_blocked');
    expect(blocked.result.current.content).toMatch(/blocked by content moderation/);
    expect(embedText(blocked.progress)).toMatch(/moderation/i);
  });

  it('DMs the video once to a user who asked, and links the channel result', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_dm', steps: rampSteps(600, { steps: 2 }), video: { bytes: 100 * 1024 } });
    await stack.startBot();
    const { result } = await trackUntilResult(stack, 'video_dm', { notify: true });
    const [dm] = await stack.discord.waitFor(
      () => {
        const dms = stack.discord.messages.dmsTo(stack.alice);
        return dms.length > 0 ? dms : undefined;
      },
      { description: 'the DM' },
    );
    expect(dm!.current.attachments[0]?.data.equals(videoBytes(100 * 1024))).toBe(true);
    expect(dm!.current.content).toContain(result.id);
    expect(dm!.current.pings).toEqual({ users: [], roles: [], everyone: false });

    // A restart finds the delivery finished: no second DM, no second result.
    await stack.stopBot();
    await stack.startBot();
    await stack
      .sora('list')
      .waitForOriginal((m) => m.current.content.length > 0 || m.current.embeds.length > 0);
    expect(stack.discord.messages.dmsTo(stack.alice)).toHaveLength(1);
    expect(stack.botMessages()).toHaveLength(2);
  });

  it('records closed DMs and does not retry them', async () => {
    const stack = await createStack();
    stack.discord.world.setDmsOpen(stack.alice, false);
    stack.api.addTask({
      id: 'video_closed',
      steps: rampSteps(600, { steps: 2 }),
      video: { bytes: 50 * 1024 },
    });
    const app = await stack.startBot();
    await trackUntilResult(stack, 'video_closed', { notify: true });
    await stack.discord.waitFor(
      () => stack.logs.some((line) => line.includes('the user does not accept DMs')),
      { description: 'the closed DM to be recorded' },
    );
    await app.tracker.settled();
    expect(stack.discord.messages.dmsTo(stack.alice)).toHaveLength(0);
    const dmAttempts = stack.discord.counters
      .log()
      .filter((e) => e.method === 'POST' && e.status === 403 && e.code === 50007).length;
    expect(dmAttempts).toBe(1);
  });

  it('a progress message older than an hour still gets its final state and the result', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_old',
      steps: rampSteps(1_000, { steps: 2 }),
      video: { bytes: 64 * 1024 },
    });
    // As after a restart: the task is in the store, its message was posted two hours ago.
    const old = stack.discord.messages.seed({
      channel: stack.channel,
      body: { embeds: [{ title: 'In progress' }], allowed_mentions: { parse: [] } },
      createdAt: Date.now() - 2 * 3_600_000,
    });
    const store = await createTrackingStore({
      url: stack.env.STORE_URL!,
      logger: createLogger({ level: 'silent', secrets: [] }),
    });
    const now = Date.now();
    await store.putTask({
      v: 1,
      id: 'video_old',
      state: 'active',
      trackedAt: now - 2 * 3_600_000,
      lastChangeAt: now,
      channelIds: [stack.channel.id],
    });
    await store.putSubscription({
      v: 1,
      taskId: 'video_old',
      channelId: stack.channel.id,
      guildId: stack.guild.id,
      requesterId: stack.alice.id,
      messageId: old.id,
      nonce: 'n-video-old',
      messageCreatedAt: now - 2 * 3_600_000,
      notifyUserIds: [],
      locale: 'en-US',
      requesterLocale: 'en-US',
      createdAt: now - 2 * 3_600_000,
      state: 'active',
    });
    await store.setActive('video_old', true, { userId: stack.alice.id, guildId: stack.guild.id });
    await store.close();

    await stack.startBot();
    const result = await stack.discord.waitFor(() => resultOf(stack, old), {
      description: 'the result',
      timeoutMs: 20_000,
    });
    await stack.discord.waitFor(
      () => /Completed/.test(embedText(old)) && embedText(old).includes(result.id),
      {
        description: 'the old message in its final state',
        timeoutMs: 20_000,
      },
    );
    expect(stack.discord.counters.log().filter((e) => e.code === 30046)).toEqual([]);
  });
});
