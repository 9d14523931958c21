import { describe, expect, it } from 'vitest';
import { rampSteps } from '../../testkit/fake-video-api/index.js';
import { API_KEY, embedText, useStack } from './harness.js';

/**
 * /sora track end to end: the real discord.js client against the local Discord, the real video API client
 * against the fake API, the real SQLite store. Every assertion is about what people in Discord saw.
 */
describe('/sora track', () => {
  const createStack = useStack();

  for (const dialect of ['openai', 'seed-relay'] as const) {
    it(`follows a task in the ${dialect} shape from queued to completed in one message`, async () => {
      const stack = await createStack();
      stack.api.addTask({
        id: 'video_e2e_1',
        dialect,
        steps: rampSteps(1_500, { steps: 4 }),
        prompt: 'a red fox',
      });
      await stack.startBot();

      const command = stack.sora('track', { id: 'video_e2e_1' });
      const first = await command.response();
      expect(first.type).toBe(5); // deferred within the deadline
      expect(first.ephemeral).toBe(true);
      const reply = await command.waitForOriginal((m) =>
        m.current.content.includes('https://discord.com/channels/'),
      );
      expect(reply.ephemeral).toBe(true);

      const [progress] = await stack.discord.waitFor(
        () => {
          const messages = stack.progressMessages();
          return messages.length === 1 && /Completed/.test(embedText(messages[0]!)) ? messages : undefined;
        },
        { description: 'the progress message to reach Completed', timeoutMs: 15_000 },
      );
      expect(stack.progressMessages()).toHaveLength(1);
      expect(reply.current.content).toContain(progress!.id);

      const seen = progress!.versions.map((version) => embedText(progress!, version));
      expect(seen[0]).toMatch(/Queued|In progress/);
      expect(seen.some((text) => /In progress/.test(text) && /\d+%/.test(text))).toBe(true);
      expect(seen.at(-1)).toMatch(/Completed/);
      expect(seen.at(-1)).toContain('a red fox');
      // Nobody was pinged by any version, and each create/edit said so explicitly.
      for (const version of progress!.versions) {
        expect(version.allowedMentions).toEqual({ parse: [] });
        expect(version.pings).toEqual({ users: [], roles: [], everyone: false });
      }
      // Versions only when something visible changed: never two identical versions in a row.
      for (let i = 1; i < progress!.versions.length; i++) {
        expect(JSON.stringify(progress!.versions[i]!.embeds)).not.toBe(
          JSON.stringify(progress!.versions[i - 1]!.embeds),
        );
      }
    });
  }

  it('answers an invalid id, an unknown task, a wrong key and an API outage with a clear message', async () => {
    const stack = await createStack();
    await stack.startBot();
    const answer = async (id: string) => {
      const command = stack.sora('track', { id });
      const reply = await command.waitForOriginal((m) => m.current.content.length > 0);
      return reply.current.content;
    };

    expect(await answer('../../etc/passwd')).toMatch(/not a valid task id/);
    expect(stack.api.requests.some((r) => r.url.includes('passwd'))).toBe(false);

    expect(await answer('video_does_not_exist')).toMatch(/knows no task/);

    stack.api.addTask({ id: 'video_ok', steps: [{ atMs: 0, status: 'queued' }] });
    stack.api.addFault({
      route: 'status',
      fault: { kind: 'status', status: 401, body: { error: { message: `bad key ${API_KEY}` } } },
    });
    const wrongKey = await answer('video_ok');
    expect(wrongKey).toMatch(/refused this bot's API key/);
    expect(wrongKey).not.toContain(API_KEY);

    stack.api.addFault({ route: 'status', times: 10, fault: { kind: 'status', status: 502 } });
    expect(await answer('video_ok')).toMatch(/cannot be reached/);

    expect(stack.botMessages()).toHaveLength(0);
    expect(stack.logs.join('')).not.toContain(API_KEY);
    expect(stack.logs.join('')).not.toContain(stack.discord.token);
  });

  it('tracking the same id again in the channel links the existing message instead of posting another', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_twice', steps: [{ atMs: 0, status: 'in_progress', progress: 10 }] });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_twice' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    const again = await stack
      .sora('track', { id: 'video_twice' }, { user: stack.bob })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(again.current.content).toMatch(/already tracked/);
    expect(stack.botMessages()).toHaveLength(1);
    expect(again.current.content).toContain(stack.botMessages()[0]!.id);
  });

  it('names the permission the bot cannot do without in the channel', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_perm', steps: [{ atMs: 0, status: 'queued' }] });
    const locked = stack.discord.world.textChannel(stack.guild, {
      name: 'locked',
      botPermissions: ['ViewChannel', 'SendMessages', 'ReadMessageHistory'],
    });
    await stack.startBot();
    const reply = await stack
      .sora('track', { id: 'video_perm' }, { channel: locked })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(reply.current.content).toMatch(/Embed Links/);
    // Without Attach Files the bot could still track (the video would come as a link): not a reason to refuse.
    expect(reply.current.content).not.toMatch(/Attach Files/);
    expect(stack.botMessages(locked)).toHaveLength(0);
  });

  it('status, list, autocomplete and untrack', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_a',
      steps: [{ atMs: 0, status: 'in_progress', progress: 30 }],
      prompt: 'alpha',
    });
    stack.api.addTask({ id: 'video_b', steps: [{ atMs: 0, status: 'queued', queuePosition: 2 }] });
    await stack.startBot();

    const status = await stack
      .sora('status', { id: 'video_a' })
      .waitForOriginal((m) => m.current.embeds.length > 0);
    expect(status.ephemeral).toBe(true);
    expect(embedText(status)).toMatch(/30%/);
    expect(stack.botMessages()).toHaveLength(0);

    await stack
      .sora('track', { id: 'video_a' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    await stack
      .sora('track', { id: 'video_b' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));

    const list = await stack
      .sora('list')
      .waitForOriginal((m) => m.current.embeds.length > 0 || m.current.content.length > 0);
    const listed = embedText(list) + list.current.content;
    expect(listed).toContain('video_a');
    expect(listed).toContain('video_b');
    for (const message of stack.botMessages()) expect(listed).toContain(message.id);

    const suggestions = await stack.discord.interactions
      .autocomplete({
        user: stack.alice,
        channel: stack.channel,
        name: 'sora',
        subcommand: 'untrack',
        options: { id: 'b' },
        focused: 'id',
      })
      .response();
    expect(suggestions.type).toBe(8);
    expect(suggestions.choices).toEqual([{ name: 'video_b', value: 'video_b' }]);

    const untracked = await stack
      .sora('untrack', { id: 'video_b' })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(untracked.current.content).toMatch(/Stopped tracking/);
    const stopped = stack.botMessages().find((m) => embedText(m).includes('video_b'))!;
    await stack.discord.waitFor(() => /stopped by/i.test(embedText(stopped)), {
      description: 'the message to say who stopped it',
    });

    const after = await stack
      .sora('list')
      .waitForOriginal((m) => m.current.embeds.length > 0 || m.current.content.length > 0);
    expect(embedText(after) + after.current.content).not.toContain('video_b');
    const notTracked = await stack
      .sora('untrack', { id: 'video_b' })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(notTracked.current.content).toMatch(/not tracked/);
  });

  it('one task tracked in two channels is polled once per round and both messages follow it', async () => {
    const stack = await createStack();
    const second = stack.discord.world.textChannel(stack.guild, { name: 'second' });
    stack.api.addTask({ id: 'video_shared', steps: rampSteps(1_200, { steps: 3 }) });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_shared' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    await stack
      .sora('track', { id: 'video_shared' }, { channel: second })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));

    const done = (channel = stack.channel) =>
      stack.progressMessages(channel).some((m) => /Completed/.test(embedText(m)));
    await stack.discord.waitFor(() => done() && done(second), {
      description: 'both messages completed',
      timeoutMs: 15_000,
    });

    // One poll per round, not one per channel: status requests for the task come no closer than the
    // minimum interval less its 10 % jitter, except around the second /sora track lookup (at most two
    // gaps). Polling per channel would halve every gap.
    const requests = stack.api.requests.filter((r) => r.route === 'status' && r.taskId === 'video_shared');
    expect(requests.length).toBeGreaterThan(4);
    const gaps = requests.slice(2).map((r, i) => r.receivedAt - requests[i + 1]!.receivedAt);
    expect(gaps.filter((gap) => gap < 85).length).toBeLessThanOrEqual(2);
  });

  it('the progress message deleted mid-task: the bot stops editing it and keeps running', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_del', steps: rampSteps(1_500, { steps: 5 }) });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_del' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    const [message] = stack.botMessages();
    await stack.discord.waitFor(() => message!.versions.length >= 2, { description: 'a first edit' });
    const deleteResponse = await fetch(
      `${stack.discord.apiUrl}/v10/channels/${stack.channel.id}/messages/${message!.id}`,
      {
        method: 'DELETE',
        headers: { Authorization: `Bot ${stack.discord.token}` },
      },
    );
    expect(deleteResponse.status).toBe(204);
    const versionsAtDelete = message!.versions.length;

    await stack.discord.waitFor(
      () => stack.discord.counters.log().some((e) => e.status === 404 && e.path.includes(message!.id)),
      { description: 'the bot to meet the deleted message' },
    );
    await stack.app!.tracker.settled();
    // The channel's subscription is dropped: list no longer shows the task, and no more edits are tried.
    const list = await stack
      .sora('list')
      .waitForOriginal((m) => m.current.content.length > 0 || m.current.embeds.length > 0);
    expect(list.current.content).toMatch(/No video tasks/);
    const editsAfter = () =>
      stack.discord.counters.log().filter((e) => e.method === 'PATCH' && e.path.includes(message!.id)).length;
    const count = editsAfter();
    expect(message!.versions.length).toBe(versionsAtDelete);
    // The bot is still answering.
    const status = await stack
      .sora('status', { id: 'video_del' })
      .waitForOriginal((m) => m.current.embeds.length > 0);
    expect(status.current.embeds).toHaveLength(1);
    expect(editsAfter()).toBe(count);
  });

  it('rides out Discord 429s and 5xx on edits and still shows the final state', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_flaky', steps: rampSteps(1_500, { steps: 4 }) });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_flaky' })
      .waitForOriginal((m) => m.current.content.includes('Tracking'));
    stack.discord.faults.failNext({
      method: 'PATCH',
      route: '/channels/:channel_id/messages/:message_id',
      status: 502,
      count: 2,
    });
    stack.discord.faults.failNext({
      method: 'PATCH',
      route: '/channels/:channel_id/messages/:message_id',
      status: 429,
      retryAfterMs: 300,
      count: 2,
    });
    const [message] = stack.botMessages();
    await stack.discord.waitFor(() => /Completed/.test(embedText(message!)), {
      description: 'the final state despite faults',
      timeoutMs: 20_000,
    });
    expect(stack.discord.faults.pending()).toBe(0);
    expect(stack.progressMessages()).toHaveLength(1);
  });

  it('speaks Chinese to a zh-CN user and in a zh-CN server', async () => {
    const stack = await createStack({ guildLocale: 'zh-CN' });
    stack.api.addTask({ id: 'video_zh', steps: [{ atMs: 0, status: 'in_progress', progress: 50 }] });
    await stack.startBot();
    const reply = await stack
      .sora('track', { id: 'video_zh' }, { locale: 'zh-CN' })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(reply.current.content).toMatch(/[\u4e00-\u9fff]/);
    const [progress] = stack.botMessages();
    expect(embedText(progress!)).toMatch(/[\u4e00-\u9fff]/);

    const english = await stack
      .sora('track', { id: '../bad' }, { user: stack.bob, locale: 'en-US' })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(english.current.content).toMatch(/not a valid task id/);
  });
});
