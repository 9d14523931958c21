import { describe, expect, it } from 'vitest';
import type { FakeMessage } from '../../../testkit/fake-discord/index.js';
import { rampSteps } from '../../../testkit/fake-video-api/index.js';
import { embedText, useStack } from '../../e2e/harness.js';

/**
 * A prompt (or a failure reason) is text anyone can write. Through the real bot and the local Discord,
 * which answers 400 50035 to anything over Discord's limits: tasks whose texts carry @everyone, role and
 * user mentions, markdown, zero-width and direction-override characters and 5,000 characters are followed
 * to their end and delivered — every version of every message accepted, nobody pinged but the requester
 * by the result, the hostile text shown inert.
 */
const HOSTILE = [
  '@everyone @here wake up',
  '<@&123456789012345678> and <@123456789012345678> and <#123456789012345678>',
  '# Heading\n> quote\n- list **bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```',
  '[free nitro](https://example.com/phish) <https://example.com>',
  'zero\u200bwidth\u200cjoin\u200dand\u2060word\ufeffjoiner',
  'invoice_\u202eexe.pdf',
  'x'.repeat(5_000),
].join('\n');

const LIMITS = { description: 4096, fieldValue: 1024, fields: 25, total: 6000, content: 2000 };

function expectWithinLimitsAndInert(message: FakeMessage): void {
  for (const version of message.versions) {
    expect(version.content.length).toBeLessThanOrEqual(LIMITS.content);
    for (const raw of version.embeds) {
      const embed = raw as { description?: string; fields?: { name: string; value: string }[] };
      const fields = embed.fields ?? [];
      expect(embed.description?.length ?? 0).toBeLessThanOrEqual(LIMITS.description);
      expect(fields.length).toBeLessThanOrEqual(LIMITS.fields);
      for (const field of fields) expect(field.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
    const text = `${version.content}\n${JSON.stringify(version.embeds)}`;
    expect(text).not.toMatch(/@everyone|@here|<@&\d|\u202e/);
  }
}

describe('hostile prompt and failure texts', () => {
  const createStack = useStack();

  it('are shown inert within Discord limits, and ping nobody but the requester of the result', async () => {
    const stack = await createStack();
    stack.api.addTask({
      id: 'video_hostile',
      prompt: HOSTILE,
      steps: rampSteps(1_200, { steps: 3 }),
      video: { bytes: 64 * 1024 },
    });
    stack.api.addTask({
      id: 'video_hostile_fail',
      prompt: HOSTILE,
      steps: rampSteps(1_200, { steps: 2, end: 'failed', failure: { message: HOSTILE } }),
    });
    await stack.startBot();
    for (const id of ['video_hostile', 'video_hostile_fail']) {
      await stack
        .sora('track', { id, notify: true })
        .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
    }
    await stack.discord.waitFor(
      () => stack.botMessages().length === 4 && stack.discord.messages.dmsTo(stack.alice).length === 2,
      {
        description: 'both results and both DMs',
        timeoutMs: 15_000,
      },
    );
    await stack.discord.waitFor(
      () => stack.progressMessages().every((m) => m.current.components.length === 0),
      { description: 'both progress messages to show their final state' },
    );

    // Discord took every create and edit: nothing was over a limit or malformed.
    expect(stack.discord.counters.log().filter((entry) => entry.status === 400)).toEqual([]);
    const progress = stack.progressMessages();
    expect(progress).toHaveLength(2);
    for (const message of progress) {
      expectWithinLimitsAndInert(message);
      expect(message.versions.every((v) => v.pings.users.length === 0 && v.pings.roles.length === 0)).toBe(
        true,
      );
      expect(message.versions.some((v) => v.pings.everyone)).toBe(false);
      // The prompt is there, defused: mentions broken by a zero-width space, markdown escaped, clipped.
      const shown = embedText(message);
      expect(shown).toContain('@\u200beveryone');
      expect(shown).toContain('\\# Heading');
      expect(shown).toContain('…');
    }
    for (const result of stack.botMessages().filter((m) => !progress.includes(m))) {
      expectWithinLimitsAndInert(result);
      expect(result.current.pings).toEqual({ users: [stack.alice.id], roles: [], everyone: false });
    }
    for (const dm of stack.discord.messages.dmsTo(stack.alice)) {
      expectWithinLimitsAndInert(dm);
      expect(dm.current.pings).toEqual({ users: [], roles: [], everyone: false });
    }
    // The failure reason is quoted in the result, as inert as the prompt.
    expect(stack.botMessages().some((m) => m.current.content.includes('@\u200beveryone'))).toBe(true);
  });
});
