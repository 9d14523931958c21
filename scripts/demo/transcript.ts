/**
 * A running transcript of everything that appears in the local Discord: every message in every guild
 * channel (ephemeral replies included, marked as such) and every DM, each create and edit printed as it
 * lands, in time order. It knows nothing about what the bot is supposed to post, so whatever a future
 * version posts (buttons, result messages, DMs, follow-ups) shows up without changes here.
 */
import type {
  FakeDiscord,
  FakeMessage,
  MessageVersion,
  StoredAttachment,
} from '../../testkit/fake-discord/index.js';
import { diffLines } from './diff.js';
import { pingsText, versionLines, type Names } from './format.js';
import type { Style } from './style.js';

export interface TranscriptOptions {
  discord: FakeDiscord;
  /** Offsets are printed relative to this moment (ms since the epoch). */
  startedAt: number;
  print: (line: string) => void;
  style: Style;
  /** Extra lines under a file, e.g. whether its bytes are the ones the video API served. */
  describeAttachment?: (attachment: StoredAttachment) => string[];
}

export interface Transcript {
  names: Names;
  /** A line typed by a user, as the first event of the story. */
  typed(user: string, channel: string, text: string): void;
  /** Whether something appeared that is not printed yet. */
  hasNews(): boolean;
  /** Prints what appeared since the last call, oldest first. */
  flush(): void;
  /** When the last create, edit or deletion happened (ms since the epoch). */
  lastChangeAt(): number;
}

const INDENT = '         ';

interface Pending {
  message: FakeMessage;
  /** Index of the version to print, or -1 for the deletion. */
  index: number;
  at: number;
}

export function createTranscript(options: TranscriptOptions): Transcript {
  const { discord, style, print } = options;
  const { world } = discord;
  const shown = new Map<string, number>();
  const deletionShown = new Set<string>();
  const labels = new Map<string, string>();
  const countByChannel = new Map<string, number>();
  let lastChange = options.startedAt;

  const names: Names = {
    user: (id) => {
      const user = world.getUser(id);
      return user ? (user.globalName ?? user.username) : undefined;
    },
    channel: (id) => world.getChannel(id)?.name,
    role: (id) => {
      for (const guild of world.guilds()) {
        const role = guild.roles.get(id);
        if (role) return role.name;
      }
      return undefined;
    },
    message: (id) => labels.get(id),
  };
  const botName = () => names.user(discord.bot.id) ?? 'the bot';

  function everyMessage(): FakeMessage[] {
    const messages: FakeMessage[] = [];
    for (const guild of world.guilds()) {
      for (const channelId of guild.channelIds) messages.push(...discord.messages.inChannel(channelId));
    }
    for (const user of world.users()) if (!user.bot) messages.push(...discord.messages.dmsTo(user));
    return messages;
  }

  function label(message: FakeMessage): string {
    const known = labels.get(message.id);
    if (known !== undefined) return known;
    const channel = world.getChannel(message.channelId);
    let made: string;
    if (message.ephemeralTo !== null) {
      const user = names.user(message.ephemeralTo) ?? 'someone';
      const command = message.interaction?.name ? `/${message.interaction.name} ` : '';
      made = `${command}reply · only ${user} sees it`;
    } else if (channel?.recipientId) {
      const count = (countByChannel.get(channel.id) ?? 0) + 1;
      countByChannel.set(channel.id, count);
      made = `DM to ${names.user(channel.recipientId) ?? 'someone'}${count > 1 ? ` #${count}` : ''}`;
    } else {
      const count = (countByChannel.get(message.channelId) ?? 0) + 1;
      countByChannel.set(message.channelId, count);
      made = `#${channel?.name ?? message.channelId} › message ${count}`;
    }
    labels.set(message.id, made);
    return made;
  }

  function pending(): Pending[] {
    const out: Pending[] = [];
    for (const message of everyMessage()) {
      const done = shown.get(message.id) ?? 0;
      message.versions.slice(done).forEach((version, offset) => {
        out.push({ message, index: done + offset, at: version.at });
      });
      if (message.deletedAt !== null && !deletionShown.has(message.id)) {
        out.push({ message, index: -1, at: message.deletedAt });
      }
    }
    return out.sort((a, b) => a.at - b.at || a.message.createdAt - b.message.createdAt || a.index - b.index);
  }

  const offset = (at: number) => {
    const seconds = (at - options.startedAt) / 1000;
    return style.dim(`${seconds >= 0 ? '+' : '−'}${Math.abs(seconds).toFixed(1)}s`.padStart(7));
  };
  const body = (lines: readonly string[]) => {
    for (const line of lines) print(`${INDENT}${style.dim('│')} ${line}`);
  };

  function linesOf(version: MessageVersion, rawTimestamps = false): string[] {
    return versionLines(version, names, {
      loadingText: `(${botName()} is thinking…)`,
      rawTimestamps,
      ...(options.describeAttachment ? { describeAttachment: options.describeAttachment } : {}),
    });
  }

  function printVersion(message: FakeMessage, index: number): void {
    const version = message.versions[index]!;
    const isNew = index === 0;
    const author = isNew ? ` by ${names.user(message.authorId) ?? message.authorId}` : '';
    const what = isNew ? `new${author}` : `edit ${index}`;
    const reply = version.messageReference?.message_id
      ? ` · ↩ replies to ${labels.get(version.messageReference.message_id) ?? 'a message'}`
      : '';
    print('');
    print(
      `${offset(version.at)}  ${style.bold(label(message))} — ${what}${reply} · ${pingsText(version, names)}`,
    );

    const lines = linesOf(version);
    if (isNew) {
      body(lines);
      return;
    }
    // An edit shows only what changed. Relative timestamps are compared as written, not as they read
    // at each moment, so "started 3 s ago" becoming "6 s ago" is not mistaken for a change.
    const diff = diffLines(linesOf(message.versions[index - 1]!, true), linesOf(version, true));
    const before = linesOf(message.versions[index - 1]!);
    const changed = diff.changed.map((i) => lines[i]!);
    const gone = diff.gone.map((i) => style.dim(`✕ ${before[i]!}`));
    body(changed.length + gone.length > 0 ? [...changed, ...gone] : ['(no visible change)']);
    if (diff.unchanged > 0) {
      print(
        `${INDENT}${style.dim(`│ (${diff.unchanged} line${diff.unchanged === 1 ? '' : 's'} unchanged)`)}`,
      );
    }
  }

  return {
    names,
    typed(user, channel, text) {
      print('');
      print(`${offset(options.startedAt)}  ${style.bold(`${user} in #${channel}`)} types:`);
      body([text]);
    },
    hasNews: () => pending().length > 0,
    flush() {
      const events = pending();
      // Label every message of the batch first, in order of appearance, so that a link printed in one
      // version already names a message that appears a few milliseconds later.
      for (const event of events) if (event.index === 0) label(event.message);
      for (const event of events) {
        const { message, index } = event;
        lastChange = Math.max(lastChange, event.at);
        if (index === -1) {
          deletionShown.add(message.id);
          print('');
          print(`${offset(event.at)}  ${style.bold(label(message))} — deleted`);
          continue;
        }
        printVersion(message, index);
        shown.set(message.id, index + 1);
      }
    },
    lastChangeAt: () => lastChange,
  };
}
