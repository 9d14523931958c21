import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, useStack } from './harness.js';

/**
 * A relay that briefly says it does not know a task it has just created (docs/video-api.md#unknown-tasks):
 * tracking goes on, the channel never reads "not found", and the video is delivered in the end.
 */
describe('a task the relay briefly does not know', () => {
  const createStack = useStack();

  it('is followed through a few "task_not_exist" answers and delivered, never shown as not found', async () => {
    // The task completes only when the test says so, after the relay has answered "not found".
    const apiClock = createManualClock(Date.now());
    const stack = await createStack({ apiClock });
    const id = 'video_lagging';
    stack.api.addTask({
      id,
      steps: [
        { atMs: 0, status: 'in_progress', progress: 20 },
        { atMs: 1_000, status: 'completed', progress: 100 },
      ],
    });
    await stack.startBot();
    await stack.sora('track', { id }).waitForOriginal((m) => m.current.content.includes('Tracking'));
    const [progress] = stack.progressMessages();
    expect(embedText(progress!)).toMatch(/20%/);

    const statusReads = () => stack.api.requests.filter((r) => r.route === 'status' && r.taskId === id);
    const before = statusReads().length;
    stack.api.addFault({
      route: 'status',
      taskId: id,
      times: 3,
      fault: {
        kind: 'status',
        status: 404,
        body: { code: 'task_not_exist', message: 'task_not_exist', data: null },
      },
    });
    // Three "not found" answers, then a reading again (or, if tracking stopped, the message says so).
    const gaveUp = () => progress!.versions.some((v) => /no longer knows/.test(embedText(progress!, v)));
    await stack.discord.waitFor(() => statusReads().length >= before + 4 || gaveUp(), {
      description: 'the bot to poll through the "not found" answers',
      timeoutMs: 20_000,
    });
    expect(gaveUp()).toBe(false);
    expect(embedText(progress!)).toMatch(/In progress/);

    await apiClock.advance(1_000);
    const result = await stack.discord.waitFor(
      () => stack.botMessages().find((m) => m.versions[0]?.messageReference?.message_id === progress!.id),
      { description: 'the result message', timeoutMs: 20_000 },
    );
    expect(result.current.attachments[0]?.filename).toMatch(/\.mp4$/);
    await stack.discord.waitFor(() => /Completed/.test(embedText(progress!)), {
      description: 'the progress message to reach Completed',
    });
    // Not one version of any message said "not found".
    for (const message of stack.botMessages()) {
      for (const version of message.versions) {
        expect(embedText(message, version) + version.content).not.toMatch(/no longer knows|not found/i);
      }
    }
    expect(stack.logs.join('')).not.toContain('poll failed unexpectedly');
  });
});
