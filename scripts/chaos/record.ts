/**
 * `--logs <dir>`: what people did and saw in a run (`people.json`), next to the bot's logs and store,
 * for looking into a failure afterwards.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeDiscord } from '../../testkit/fake-discord/index.js';
import type { BotRun } from './bot.js';
import type { FaultInjector } from './faults.js';
import type { Pair } from './users.js';
import type { ChaosWorld } from './world.js';

export async function writeRunRecord(
  directory: string,
  run: {
    discord: FakeDiscord;
    world: ChaosWorld;
    pairs: readonly Pair[];
    faults: FaultInjector;
    runs: readonly BotRun[];
  },
): Promise<void> {
  const { discord, world } = run;
  await mkdir(directory, { recursive: true });
  const channels = [...world.channels, ...world.users().map((user) => discord.world.dmChannel(user))];
  const record = {
    pairs: run.pairs.map((pair) => ({
      task: pair.task.id,
      channel: pair.channel.id,
      user: pair.user.id,
      notify: pair.track.notify,
      confirmedAt: pair.confirmedAt,
      progressMessageId: pair.progressMessageId,
      attempts: pair.attempts,
    })),
    permissionWindows: run.faults.permissionWindows,
    deletedMessages: run.faults.deletedMessages,
    discordErrors: discord.counters.log().filter((entry) => entry.status >= 400),
    runs: run.runs.map(({ index, startedAtWall, endedBy, exit }) => ({
      index,
      startedAtWall,
      endedBy,
      exit,
    })),
    messages: channels.flatMap((channel) =>
      discord.messages.inChannel(channel).map((message) => ({
        id: message.id,
        channel: message.channelId,
        createdAt: message.createdAt,
        ephemeral: message.ephemeral,
        deletedAt: message.deletedAt,
        versions: message.versions.map((version) => ({
          at: version.at,
          content: version.content.slice(0, 300),
          nonce: version.nonce,
          embeds: version.embeds.length,
          reference: version.messageReference?.message_id,
          files: version.attachments.map((file) => file.size),
        })),
      })),
    ),
  };
  await writeFile(join(directory, 'people.json'), JSON.stringify(record, null, 1));
}
