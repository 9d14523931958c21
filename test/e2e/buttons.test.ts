import { describe, expect, it } from 'vitest';
import { decodeButtonId, type ButtonAction } from '../../src/render/index.js';
import type { FakeMessage, FakeUser } from '../../testkit/fake-discord/index.js';
import { embedText, useStack, type Stack } from './harness.js';

/**
 * The buttons of the progress message, pressed by people in the local Discord against the whole bot:
 * 🔔 Notify me, ⏹️ Stop tracking, 🔄 Refresh. Every answer is seen only by the presser and pings nobody.
 */

interface ButtonLike {
  type?: number;
  custom_id?: string;
}

function buttonsOf(message: FakeMessage): ButtonLike[] {
  return message.current.components.flatMap((row) => (row.components as ButtonLike[] | undefined) ?? []);
}

function customIdOf(message: FakeMessage, action: ButtonAction): string {
  const found = buttonsOf(message).find((b) => decodeButtonId(b.custom_id ?? '')?.action === action);
  if (!found?.custom_id) throw new Error(`no ${action} button on message ${message.id}`);
  return found.custom_id;
}

/** `/sora track` by alice, then the progress message it posted. */
async function track(stack: Stack, taskId: string): Promise<FakeMessage> {
  await stack
    .sora('track', { id: taskId })
    .waitForOriginal((m) => m.current.content.includes('https://discord.com/channels/'));
  const message = stack.botMessages().find((m) => buttonsOf(m).length > 0);
  if (!message) throw new Error('no progress message with buttons');
  return message;
}

/** A click on `action`, and the answer the presser saw. */
async function press(
  stack: Stack,
  message: FakeMessage,
  action: ButtonAction,
  user: FakeUser = stack.alice,
  locale?: string,
) {
  const click = stack.discord.interactions.button({
    user,
    message,
    customId: customIdOf(message, action),
    ...(locale ? { locale } : {}),
  });
  const first = await click.response();
  const reply = await click.waitForOriginal((m) => m.current.content.length > 0);
  return { first, reply, content: reply.current.content };
}

/** Every answer: deferred or sent at once, only for the presser, nobody pinged. */
function expectPrivateAnswer(answer: Awaited<ReturnType<typeof press>>): void {
  expect([4, 5]).toContain(answer.first.type);
  expect(answer.first.ephemeral).toBe(true);
  expect(answer.reply.ephemeral).toBe(true);
  expect(answer.reply.current.allowedMentions).toEqual({ parse: [] });
  expect(answer.reply.current.pings).toEqual({ users: [], roles: [], everyone: false });
}

const RUNNING = [{ atMs: 0, status: 'in_progress' as const, progress: 20 }];

describe('progress message buttons', () => {
  const createStack = useStack();

  it('🔔 Notify me: any member turns a DM on and off again, with a confirmation each time', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_bell', steps: RUNNING });
    await stack.startBot();
    const message = await track(stack, 'video_bell');
    const notifyList = async () =>
      (await stack.app!.tracker.subscription('video_bell', stack.channel.id))?.notifyUserIds;
    expect(await notifyList()).toEqual([]);

    const on = await press(stack, message, 'notify', stack.bob);
    expectPrivateAnswer(on);
    expect(on.content).toMatch(/You will get a direct message when this task ends/);
    expect(await notifyList()).toEqual([stack.bob.id]);

    const off = await press(stack, message, 'notify', stack.bob);
    expectPrivateAnswer(off);
    expect(off.content).toMatch(/no longer get a direct message/);
    expect(await notifyList()).toEqual([]);

    // The presser's own language.
    const zh = await press(stack, message, 'notify', stack.bob, 'zh-CN');
    expect(zh.content).toMatch(/私信/);
    expect(await notifyList()).toEqual([stack.bob.id]);

    // Nothing the channel sees changed: the message still offers its buttons, nothing else was posted.
    expect(buttonsOf(message)).toHaveLength(3);
    expect(stack.botMessages()).toHaveLength(1);
  });

  it('⏹️ Stop tracking: refused for another member, accepted for the requester, then shown as stopped', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_stop', steps: RUNNING });
    await stack.startBot();
    const message = await track(stack, 'video_stop');

    const refused = await press(stack, message, 'stop', stack.bob);
    expectPrivateAnswer(refused);
    expect(refused.content).toMatch(/Only the person who started tracking .* Manage Messages/);
    expect(refused.content).toContain(`<@${stack.alice.id}>`);
    expect(await stack.app!.tracker.subscription('video_stop', stack.channel.id)).toBeDefined();
    expect(buttonsOf(message)).toHaveLength(3);
    expect(embedText(message)).not.toMatch(/stopped by/i);

    const accepted = await press(stack, message, 'stop', stack.alice);
    expectPrivateAnswer(accepted);
    expect(accepted.content).toMatch(/Stopped tracking `video_stop`/);
    await stack.discord.waitFor(() => /stopped by/i.test(embedText(message)), {
      description: 'the progress message to say who stopped tracking',
    });
    expect(embedText(message)).toContain(`<@${stack.alice.id}>`);
    expect(message.current.pings).toEqual({ users: [], roles: [], everyone: false });
    expect(message.current.components).toEqual([]);
    expect(await stack.app!.tracker.subscription('video_stop', stack.channel.id)).toBeUndefined();
  });

  it('⏹️ Stop tracking: accepted for a member with Manage Messages', async () => {
    const stack = await createStack();
    const { world } = stack.discord;
    const moderators = world.role(stack.guild, { name: 'moderators', permissions: ['ManageMessages'] });
    const carol = world.user({ username: 'carol' });
    world.member(stack.guild, carol, { roles: [moderators] });
    stack.api.addTask({ id: 'video_mod', steps: RUNNING });
    await stack.startBot();
    const message = await track(stack, 'video_mod');

    const accepted = await press(stack, message, 'stop', carol);
    expectPrivateAnswer(accepted);
    expect(accepted.content).toMatch(/Stopped tracking/);
    await stack.discord.waitFor(() => embedText(message).includes(`stopped by <@${carol.id}>`), {
      description: 'the progress message to name the moderator',
    });
    expect(message.current.components).toEqual([]);
  });

  it('🔄 Refresh polls the API now; a second press within the window says when the next is possible', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_refresh', steps: RUNNING });
    // Scheduled polls an hour apart: any poll during the test is the button's.
    await stack.startBot({ POLL_INTERVAL_MS: '3600000', POLL_MAX_INTERVAL_MS: '3600000' });
    const message = await track(stack, 'video_refresh');
    expect(embedText(message)).toMatch(/20%/);

    // The task moves on at the API; without a press nobody would look for an hour.
    stack.api.addTask({ id: 'video_refresh', steps: [{ atMs: 0, status: 'in_progress', progress: 70 }] });
    const statusRequests = () =>
      stack.api.requests.filter((r) => r.route === 'status' && r.taskId === 'video_refresh').length;
    const before = statusRequests();

    const refreshed = await press(stack, message, 'refresh', stack.bob);
    expectPrivateAnswer(refreshed);
    expect(refreshed.content).toMatch(/Refreshed/);
    expect(statusRequests()).toBe(before + 1);
    await stack.discord.waitFor(() => /70%/.test(embedText(message)), {
      description: 'the progress message to show the refreshed state',
    });

    const pressedAt = Date.now();
    const tooSoon = await press(stack, message, 'refresh', stack.alice);
    expectPrivateAnswer(tooSoon);
    expect(tooSoon.content).toMatch(/refreshed a moment ago/);
    const next = Number(/<t:(\d+):R>/.exec(tooSoon.content)?.[1]);
    // The cooldown is 5 s from the first press, which came before this one.
    expect(next * 1000).toBeGreaterThan(pressedAt - 5_000);
    expect(next * 1000).toBeLessThanOrEqual(pressedAt + 6_000);
    expect(statusRequests()).toBe(before + 1);
  });

  it('a press on a message whose task is no longer tracked answers so, and changes nothing', async () => {
    // A memory store forgets everything on restart: the old message keeps buttons for a task nobody tracks.
    const stack = await createStack({ store: 'memory' });
    stack.api.addTask({ id: 'video_forgotten', steps: RUNNING });
    await stack.startBot();
    const message = await track(stack, 'video_forgotten');
    await stack.stopBot();
    const app = await stack.startBot();
    await stack.discord.waitFor(() => app.client.isReady(), { description: 'the restarted bot to connect' });
    const versions = message.versions.length;

    for (const action of ['notify', 'refresh', 'stop'] as const) {
      const answer = await press(stack, message, action, stack.alice);
      expectPrivateAnswer(answer);
      expect(answer.content).toMatch(/no longer tracked in this channel/);
    }
    expect(message.versions).toHaveLength(versions);
    expect(await app.tracker.subscription('video_forgotten', stack.channel.id)).toBeUndefined();
  });

  it('a button the bot does not know gets a short private answer', async () => {
    const stack = await createStack();
    await stack.startBot();
    const foreign = stack.discord.messages.seed({
      channel: stack.channel,
      body: {
        content: 'an older message',
        components: [
          { type: 1, components: [{ type: 2, style: 2, label: 'Old', custom_id: 'sora0:refresh:x' }] },
        ],
      },
    });
    const click = stack.discord.interactions.button({
      user: stack.bob,
      message: foreign,
      customId: 'sora0:refresh:x',
    });
    const first = await click.response();
    expect(first.type).toBe(4);
    expect(first.ephemeral).toBe(true);
    expect(String(first.data.content)).toMatch(/not one I know/);
  });

  it('custom_ids of a 200-character task id stay within 100 characters and every button works', async () => {
    const stack = await createStack();
    const longId = `video_${'0123456789abcdef'.repeat(13)}`.slice(0, 200);
    expect(longId).toHaveLength(200);
    stack.api.addTask({ id: longId, steps: RUNNING });
    await stack.startBot({ POLL_INTERVAL_MS: '3600000', POLL_MAX_INTERVAL_MS: '3600000' });
    const message = await track(stack, longId);
    const ids = buttonsOf(message).map((b) => b.custom_id ?? '');
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(100);
      expect(id).toMatch(/#/); // too long to embed: named by its hash
    }

    const on = await press(stack, message, 'notify', stack.bob);
    expect(on.content).toMatch(/You will get a direct message/);
    expect((await stack.app!.tracker.subscription(longId, stack.channel.id))?.notifyUserIds).toEqual([
      stack.bob.id,
    ]);

    const before = stack.api.requests.filter((r) => r.route === 'status' && r.taskId === longId).length;
    const refreshed = await press(stack, message, 'refresh', stack.bob);
    expect(refreshed.content).toMatch(/Refreshed/);
    expect(stack.api.requests.filter((r) => r.route === 'status' && r.taskId === longId)).toHaveLength(
      before + 1,
    );

    const stopped = await press(stack, message, 'stop', stack.alice);
    expect(stopped.content).toMatch(/Stopped tracking/);
    await stack.discord.waitFor(
      () => /stopped by/i.test(embedText(message)) && buttonsOf(message).length === 0,
      {
        description: 'the long-id message to show it was stopped',
      },
    );
  });
});
