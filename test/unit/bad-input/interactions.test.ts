import { describe, expect, it } from 'vitest';
import { soraCommand } from '../../../src/discord/commands/definitions.js';
import type { Stack } from '../../e2e/harness.js';
import { useStack } from '../../e2e/harness.js';

/**
 * Commands that are not what the bot registered: an old definition still deployed (an option missing,
 * of another type, or one the bot never had, a subcommand it does not know), a command typed in a DM,
 * and a member stopping someone else's tracking. Each gets a clear, private answer.
 */
const RUNNING = [{ atMs: 0, status: 'in_progress' as const, progress: 30 }];

/** A subcommand's definition as registered: name, type, description and its options. */
type Subcommand = { name: string; options?: readonly Record<string, unknown>[] } & Record<string, unknown>;

/** Registers a different /sora, as a stale deployment would leave it; the bot keeps its own code. */
async function registerStaleDefinition(stack: Stack, options: unknown[]): Promise<void> {
  const response = await fetch(
    `${stack.discord.apiUrl}/v10/applications/${stack.discord.application.id}/commands`,
    {
      method: 'PUT',
      headers: { Authorization: `Bot ${stack.discord.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([{ ...soraCommand, options }]),
    },
  );
  expect(response.status).toBe(200);
}

function subcommand(name: string): Subcommand {
  const found = (soraCommand.options as readonly Subcommand[]).find((option) => option.name === name);
  if (!found) throw new Error(`no subcommand ${name}`);
  return found;
}

/** The private answer's text (its embeds as JSON after it, when it has any). */
async function answer(handle: ReturnType<Stack['sora']>): Promise<string> {
  const reply = await handle.waitForOriginal(
    (m) => m.current.content.length > 0 || m.current.embeds.length > 0,
    { timeoutMs: 5_000 },
  );
  expect(reply.ephemeral).toBe(true);
  const { content, embeds } = reply.current;
  return embeds.length === 0 ? content : `${content}\n${JSON.stringify(embeds)}`;
}

describe('unexpected interactions', () => {
  const createStack = useStack();

  it('a missing id, an id of another type, an unknown option or subcommand: a clear answer each', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_stale', steps: RUNNING });
    stack.api.addTask({ id: '12345', steps: RUNNING });
    await stack.startBot();
    const track = subcommand('track');
    const status = subcommand('status');
    await registerStaleDefinition(stack, [
      // `id` optional, an extra option the bot never had.
      {
        ...track,
        options: [
          { ...track.options?.[0], required: false },
          { type: 3, name: 'colour', description: 'an option from another version' },
        ],
      },
      // `id` as an integer.
      { ...status, options: [{ type: 4, name: 'id', description: 'numeric id', required: true }] },
      { type: 1, name: 'explode', description: 'a subcommand from another version' },
    ]);

    expect(await answer(stack.sora('track', {}))).toMatch(/is not a valid task id\. Ids are 1–200/);
    expect(await answer(stack.sora('track', { id: 'video_stale', colour: 'red' }))).toMatch(
      /^Tracking `video_stale` in this channel/,
    );
    // Read as the text it is: the task `12345` is looked up and shown.
    const numeric = stack.discord.interactions.command({
      user: stack.alice,
      channel: stack.channel,
      name: 'sora',
      subcommand: 'status',
      options: { id: 12345 },
    });
    expect(await answer(numeric)).toContain('`12345`');
    expect(
      await answer(
        stack.discord.interactions.command({
          user: stack.alice,
          channel: stack.channel,
          name: 'sora',
          subcommand: 'explode',
        }),
      ),
    ).toMatch(/Something went wrong on our side/);
    // Nothing but the one progress message was posted.
    expect(stack.progressMessages()).toHaveLength(1);
  });

  it('a command in a DM is answered: it works only in a server channel', async () => {
    const stack = await createStack();
    await stack.startBot();
    const dm = stack.discord.world.dmChannel(stack.alice);
    for (const sub of ['track', 'status', 'list'] as const) {
      const handle = stack.sora(sub, sub === 'list' ? {} : { id: 'video_1' }, { channel: dm });
      expect(await answer(handle)).toBe('This command works only in a server channel.');
    }
    expect(stack.api.requests).toEqual([]);
  });

  it('/sora untrack by a member who neither started it nor may manage messages is refused', async () => {
    const stack = await createStack();
    const { world } = stack.discord;
    const moderators = world.role(stack.guild, { name: 'moderators', permissions: ['ManageMessages'] });
    const carol = world.user({ username: 'carol' });
    world.member(stack.guild, carol, { roles: [moderators] });
    stack.api.addTask({ id: 'video_mine', steps: RUNNING });
    await stack.startBot();
    await answer(stack.sora('track', { id: 'video_mine' }));

    const refused = await answer(stack.sora('untrack', { id: 'video_mine' }, { user: stack.bob }));
    expect(refused).toMatch(
      /Only the person who started tracking \(<@\d+>\) or members with the Manage Messages/,
    );
    expect(await stack.app!.tracker.subscription('video_mine', stack.channel.id)).toBeDefined();

    expect(await answer(stack.sora('untrack', { id: 'video_mine' }, { user: carol }))).toMatch(
      /^Stopped tracking `video_mine`/,
    );
    expect(await stack.app!.tracker.subscription('video_mine', stack.channel.id)).toBeUndefined();
    // Nobody was pinged by the refusal that names the requester.
    const replies = stack.discord.messages.inChannel(stack.channel).filter((m) => m.ephemeral);
    expect(replies.every((m) => m.current.pings.users.length === 0)).toBe(true);
  });
});
