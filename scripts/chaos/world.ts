/**
 * The campaign's Discord: guilds with channels and members, built in the local Discord. Channel `c`
 * belongs to guild `c % guilds`; the last member of every guild does not accept DMs from the bot.
 */
import type { FakeChannel, FakeDiscord, FakeGuild, FakeUser } from '../../testkit/fake-discord/index.js';
import type { CampaignPlan } from './plan.js';

export interface ChaosWorld {
  guilds: FakeGuild[];
  channels: FakeChannel[];
  /** `members[g][u]`: member `u` of guild `g`. */
  members: FakeUser[][];
  guildOf(channel: number): number;
  member(channel: number, user: number): FakeUser;
  /** Every user whose DM channel may hold the bot's messages. */
  users(): FakeUser[];
}

export function buildWorld(discord: FakeDiscord, plan: CampaignPlan): ChaosWorld {
  const { guilds: guildCount, channels: channelCount } = plan.options;
  const members: FakeUser[][] = [];
  const guilds: FakeGuild[] = [];
  for (let g = 0; g < guildCount; g++) {
    const users = Array.from({ length: plan.membersPerGuild }, (_, u) =>
      discord.world.user({
        username: `g${g}-user${u}`,
        dmsOpen: u !== plan.membersPerGuild - 1,
      }),
    );
    members.push(users);
    // Every other server speaks Chinese: its progress and result messages are rendered in zh-CN.
    guilds.push(
      discord.world.guild({ name: `Studio ${g}`, members: users, locale: g % 2 === 1 ? 'zh-CN' : 'en-US' }),
    );
  }
  const channels: FakeChannel[] = [];
  for (let c = 0; c < channelCount; c++) {
    channels.push(discord.world.textChannel(guilds[c % guildCount]!, { name: `renders-${c}` }));
  }
  return {
    guilds,
    channels,
    members,
    guildOf: (channel) => channel % guildCount,
    member: (channel, user) => members[channel % guildCount]![user]!,
    users: () => members.flat(),
  };
}
