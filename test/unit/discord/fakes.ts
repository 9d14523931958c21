import {
  DiscordAPIError,
  type RawFile,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord.js';
import type { EditPacer, PacedWrite } from '../../../src/discord/edit-pacer.js';
import type { DiscordPort } from '../../../src/discord/port.js';

/** An error as discord.js raises it for a JSON error answer from Discord. */
export function discordError(status: number, code: number, method = 'POST'): DiscordAPIError {
  return new DiscordAPIError(
    { code, message: `error ${code}` },
    code,
    status,
    method,
    'https://discord.com/api/v10/channels/1/messages',
    { body: undefined, files: undefined },
  );
}

export interface CreateCall {
  channelId: string;
  body: RESTPostAPIChannelMessageJSONBody;
  files: readonly RawFile[] | undefined;
}

/** A Discord port that records every request and fails the next ones when told to. */
export function fakePort() {
  const creates: CreateCall[] = [];
  const edits: { channelId: string; messageId: string; body: RESTPatchAPIChannelMessageJSONBody }[] = [];
  const opened: string[] = [];
  const failures: { create: Error[]; edit: Error[]; openDm: Error[] } = {
    create: [],
    edit: [],
    openDm: [],
  };
  let nextId = 900;
  const port: DiscordPort = {
    createMessage(channelId, body, files) {
      creates.push({ channelId, body, files });
      const failure = failures.create.shift();
      if (failure !== undefined) return Promise.reject(failure);
      return Promise.resolve({ id: String(nextId++), channelId, createdAt: 7_000 });
    },
    editMessage(channelId, messageId, body) {
      edits.push({ channelId, messageId, body });
      const failure = failures.edit.shift();
      return failure === undefined ? Promise.resolve() : Promise.reject(failure);
    },
    openDm(userId) {
      opened.push(userId);
      const failure = failures.openDm.shift();
      return failure === undefined ? Promise.resolve(`dm-${userId}`) : Promise.reject(failure);
    },
  };
  return { port, creates, edits, opened, failures };
}

/**
 * A pacer that runs each write at once, or drops it with the reason it is told, and records what it
 * was given.
 */
export function fakePacer() {
  const submitted: PacedWrite[] = [];
  const penalties: { channelId: string; retryAfterMs: number }[] = [];
  let drop: 'replaced' | 'stopped' | undefined;
  const pacer: EditPacer = {
    submit(write) {
      submitted.push(write);
      if (drop) write.dropped?.(drop);
      else void write.run();
    },
    penalize: (channelId, retryAfterMs) => penalties.push({ channelId, retryAfterMs }),
    pending: () => 0,
    backlogMs: () => 0,
    idle: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
  return { pacer, submitted, penalties, dropWith: (reason: 'replaced' | 'stopped') => (drop = reason) };
}
