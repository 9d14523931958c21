import { renderList, type ListEntry } from '../../../render/index.js';
import type { Clock } from '../../../scheduling/clock.js';
import type { ChannelEntry, Tracker } from '../../../tracking/tracker.js';
import { toEditReply, type SubcommandHandler } from './guild-command.js';

/** A channel's tracked task as the list shows it. */
export function listEntry({ subscription, task }: ChannelEntry, guildId: string): ListEntry {
  return {
    taskId: subscription.taskId,
    guildId,
    channelId: subscription.channelId,
    messageId: subscription.messageId,
    snapshot: task?.snapshot,
    trackedAt: task?.trackedAt ?? subscription.createdAt,
    ended: task?.state === 'ended',
  };
}

/** `/sora list`: the tasks tracked in this channel, newest state of each. */
export function createListHandler(deps: { tracker: Tracker; clock: Clock }): SubcommandHandler {
  const { tracker, clock } = deps;
  return async (interaction) => {
    const entries = await tracker.listChannel(interaction.channelId);
    const payload = renderList(
      entries.map((entry) => listEntry(entry, interaction.guildId)),
      interaction.locale,
      clock.now(),
    );
    await interaction.editReply(toEditReply(payload));
  };
}
