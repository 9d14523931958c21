import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { describe, expect, it } from 'vitest';
import { useStack } from '../e2e/harness.js';

/**
 * A record that fails validation (a bad migration, a hand edit, a disk fault) is moved aside and logged
 * when read, and the bot keeps running: started on a SQLite store whose records of a tracked task were
 * damaged, it resumes, logs the quarantine and goes on tracking new tasks.
 */
describe('a damaged record in the store', () => {
  const createStack = useStack();

  it('is quarantined and logged at start; the bot keeps working', async () => {
    const stack = await createStack();
    stack.api.addTask({ id: 'video_damaged', steps: [{ atMs: 0, status: 'in_progress', progress: 10 }] });
    stack.api.addTask({ id: 'video_after', steps: [{ atMs: 0, status: 'in_progress', progress: 50 }] });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_damaged' })
      .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
    await stack.stopBot();

    const raw = new KeyvSqlite({ uri: `sqlite://${join(stack.dataDir, 'store.sqlite')}` });
    await raw.set('sora-tracker:task:video_damaged', '{"value": {"v": 1, "id": "video_damaged", "state": ');
    await raw.set(
      `sora-tracker:sub:video_damaged:${stack.channel.id}`,
      JSON.stringify({ value: { v: 1, taskId: 'video_damaged', state: 'exploded' } }),
    );
    await raw.disconnect();

    await stack.startBot();
    // The second start's resume (the logs of both starts are kept together).
    await stack.discord.waitFor(
      () => stack.logs.filter((line) => line.includes('"msg":"tracking resumed"')).length === 2,
      { description: 'the restarted bot to resume' },
    );
    const quarantined = stack.logs
      .filter((line) => line.includes('moved aside and treated as absent'))
      .map((line) => JSON.parse(line) as { level: number; key: string });
    expect(quarantined.map((line) => line.key)).toContain('task:video_damaged');
    expect(quarantined.every((line) => line.level >= 50)).toBe(true);

    // Still answering, still tracking.
    const reply = await stack
      .sora('track', { id: 'video_after' })
      .waitForOriginal((m) => m.current.content.length > 0);
    expect(reply.current.content).toMatch(/^Tracking `video_after`/);
    const list = await stack
      .sora('list')
      .waitForOriginal((m) => m.current.embeds.length > 0 || m.current.content.length > 0);
    expect(JSON.stringify(list.current.embeds) + list.current.content).toContain('video_after');
    expect(stack.logs.join('')).not.toContain('unhandled promise rejection');
  });
});
