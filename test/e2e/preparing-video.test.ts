import { describe, expect, it } from 'vitest';
import type { FakeMessage } from '../../testkit/fake-discord/index.js';
import { videoBytes } from '../../testkit/fake-video-api/index.js';
import { createManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, useStack, type Stack } from './harness.js';

/**
 * A relay whose `/content` has no file yet after the task says completed (it answers the JSON shape its
 * document gives for 200: `{status: "processing", video_url: null, …}`): the channel shows the video as
 * being prepared, the bot asks again with backoff, and the video is attached once the file is there.
 */
const TASK = 'sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm';
const FILE_READY_AFTER_MS = 90_000;

/** Every text any version of the bot's messages showed, embeds included. */
function everythingShown(stack: Stack): string {
  return stack
    .botMessages()
    .flatMap((message) =>
      message.versions.map((version) => `${version.content}\n${embedText(message, version)}`),
    )
    .join('\n');
}

function resultOf(stack: Stack, progress: FakeMessage): FakeMessage | undefined {
  return stack.botMessages().find((m) => m.versions[0]?.messageReference?.message_id === progress.id);
}

describe('a video file that is not ready when the task completes', () => {
  const createStack = useStack();

  it('is shown as being prepared, asked for again, then attached; nothing reads as a failure', async () => {
    const apiClock = createManualClock(Date.now());
    const stack = await createStack({ apiClock });
    stack.api.addTask({
      id: TASK,
      dialect: 'seed-relay',
      steps: [{ atMs: 0, status: 'completed' }],
      video: { bytes: 200 * 1024, publicLink: false, fileReadyAfterMs: FILE_READY_AFTER_MS },
    });
    await stack.startBot();
    await stack.sora('track', { id: TASK }).waitForOriginal((m) => m.current.content.includes('Tracking'));
    const progress = stack.progressMessages()[0]!;

    await stack.discord.waitFor(() => embedText(progress).includes('Preparing the video'), {
      description: 'the progress message to show the video as being prepared',
      timeoutMs: 20_000,
    });
    expect(embedText(progress)).toContain('still preparing the file');
    // Asked again while the file is missing: at least two tries at /content, and no result yet.
    const contentTries = () => stack.api.requests.filter((r) => r.route === 'content').length;
    if (contentTries() < 2) await stack.api.waitForRequest((r) => r.route === 'content');
    expect(resultOf(stack, progress)).toBeUndefined();

    await apiClock.advance(FILE_READY_AFTER_MS);
    const result = await stack.discord.waitFor(() => resultOf(stack, progress), {
      description: 'the result message once the file is there',
      timeoutMs: 20_000,
    });
    const [file] = result.current.attachments;
    expect(file?.data.equals(videoBytes(200 * 1024))).toBe(true);
    await stack.discord.waitFor(() => embedText(progress).includes(result.id), {
      description: 'the progress message to show the end with a link to the result',
    });
    expect(embedText(progress)).toMatch(/Completed/);
    expect(embedText(progress)).not.toContain('Preparing the video');

    expect(everythingShown(stack)).not.toMatch(/fail|could not|error|expired|unable/i);
    expect(stack.logs.join('')).not.toContain('video download failed');
    expect(stack.botMessages()).toHaveLength(2);
  });
});
