/**
 * `npm run demo`: the whole product in a minute, without a Discord token or any network.
 *
 * Starts the local Discord (testkit/fake-discord) and the fake video API (testkit/fake-video-api) on
 * 127.0.0.1, runs the real bot against them, has "alice" type `/sora track … notify:true` in #renders,
 * and prints what people see as it happens: every message and every edit, ephemeral replies and DMs,
 * with buttons, files and who got pinged. Exits 0 once the story is complete, 1 otherwise.
 *
 *   npm run demo               the transcript
 *   npm run demo -- --verbose  the bot's logs as well (on stderr)
 */
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { FakeMessage, MessageVersion, StoredAttachment } from '../testkit/fake-discord/index.js';
import { videoBytes, type TaskStep } from '../testkit/fake-video-api/index.js';
import { formatBytes, versionLines } from './demo/format.js';
import { startDemoStack, type DemoStack } from './demo/stack.js';
import { createStyle, stdoutWantsColour } from './demo/style.js';
import { createTranscript, type Transcript } from './demo/transcript.js';

const TASK_ID = 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60';
const PROMPT = 'A corgi surfing a turquoise wave at golden hour, slow motion, cinematic';
/** Small enough to be attached everywhere (a server without boosts takes 10 MiB per file). */
const VIDEO_BYTES = 384 * 1024;
/** The task's timeline from the moment alice presses Enter: a short queue, steady progress, done. */
const TASK_STEPS: TaskStep[] = [
  { atMs: 0, status: 'queued', queuePosition: 2, estimatedWaitSeconds: 5 },
  { atMs: 2_500, status: 'queued', queuePosition: 1, estimatedWaitSeconds: 3 },
  { atMs: 5_000, status: 'in_progress', progress: 12 },
  { atMs: 8_000, status: 'in_progress', progress: 38 },
  { atMs: 11_000, status: 'in_progress', progress: 67 },
  { atMs: 14_000, status: 'in_progress', progress: 91 },
  { atMs: 16_000, status: 'completed', progress: 100 },
];
/** The whole story must be over by then, counted from alice's command. */
const DEADLINE_MS = 60_000;
/** The story is over once everything expected is there and the bot has said nothing for this long. */
const QUIET_MS = 2_000;
const USER = 'alice';
const CHANNEL = 'renders';
const GUILD = 'Sora Studio';
const BOT = 'Sora Tracker';

const verbose = process.argv.includes('--verbose');
const style = createStyle(stdoutWantsColour());
const print = (line = '') => process.stdout.write(`${line}\n`);

interface Check {
  ok: boolean;
  text: string;
}

async function main(): Promise<number> {
  // The bot's logs go to a file unless --verbose; the path is shown only if something goes wrong.
  const logPath = join(tmpdir(), `sora-tracker-demo-${process.pid}.log`);
  const logDestination: Writable = verbose ? process.stderr : createWriteStream(logPath);
  let code = 1;
  try {
    const stack = await startDemoStack({
      guildName: GUILD,
      channelName: CHANNEL,
      userName: USER,
      botName: BOT,
      logLevel: verbose ? 'debug' : 'info',
      logDestination,
      readyTimeoutMs: 20_000,
    });
    try {
      printHeader(stack);
      code = await runStory(stack);
    } finally {
      await stack.close();
    }
  } finally {
    if (!verbose) {
      await new Promise<void>((resolve) => logDestination.end(resolve));
      if (code === 0) rmSync(logPath, { force: true });
      else process.stderr.write(`The bot's logs of this run: ${logPath}\n`);
    }
  }
  return code;
}

function printHeader(stack: DemoStack): void {
  const rule = '═'.repeat(78);
  print(style.bold(rule));
  print(style.bold(' sora-tracker demo: /sora track, from the slash command to the finished video'));
  print(style.bold(rule));
  const endsAt = TASK_STEPS.at(-1)!.atMs / 1000;
  print(
    [
      ' Everything runs in this one process on 127.0.0.1: no Discord token, no network.',
      '  • the real bot: src/app.ts (discord.js client, tracker, poll scheduler), memory:// store',
      `  • a local Discord at ${stack.discord.origin} (testkit/fake-discord), REST and gateway:`,
      `    server "${GUILD}", channel #${CHANNEL}, user ${USER}; the bot token is made up for this run`,
      `  • a fake video API at ${stack.api.baseUrl} (testkit/fake-video-api) in a seed relay's shape,`,
      `    with one scripted task: queued, in progress, completed after ${endsAt} s; its MP4 is ${formatBytes(VIDEO_BYTES)}`,
      ` The bot polls every ${stack.pollIntervalMs / 1000}–${stack.pollMaxIntervalMs / 1000} s here (10–60 s in production), so the story takes ~20 s.`,
      ` Below is what people in Discord see, as it happens: times are seconds since ${USER} pressed`,
      ' Enter, and edits show only the lines that changed (✕ marks a line that went away).',
    ].join('\n'),
  );
  print(style.bold(rule));
}

async function runStory(stack: DemoStack): Promise<number> {
  const { discord, api, alice, channel } = stack;
  const expectedVideo = videoBytes(VIDEO_BYTES);
  api.addTask({
    id: TASK_ID,
    dialect: 'seed-relay',
    steps: TASK_STEPS,
    video: { bytes: VIDEO_BYTES },
    prompt: PROMPT,
    expiresAfterMs: 60 * 60_000,
  });
  const startedAt = Date.now();
  const transcript = createTranscript({
    discord,
    startedAt,
    print,
    style,
    describeAttachment: (attachment) => describeVideo(attachment, expectedVideo),
  });

  const options = { id: TASK_ID, notify: true };
  transcript.typed(
    USER,
    CHANNEL,
    `/sora track ${Object.entries(options)
      .map(([name, value]) => `${name}:${String(value)}`)
      .join(' ')}`,
  );
  discord.interactions.command({ user: alice, channel, name: 'sora', subcommand: 'track', options });

  const story = () => observeStory(stack, transcript, expectedVideo);
  let timedOut = false;
  try {
    for (;;) {
      const remaining = startedAt + DEADLINE_MS - Date.now();
      // Wakes on anything new to print, or once the story is over (re-checked after every request).
      const over = await discord.waitFor(
        () =>
          transcript.hasNews() ||
          (story().complete && Date.now() - lastActivity(stack, transcript) >= QUIET_MS ? 'over' : false),
        { timeoutMs: Math.max(1, remaining), description: 'the story to complete' },
      );
      transcript.flush();
      if (over === 'over' && !transcript.hasNews()) break;
    }
  } catch {
    timedOut = true;
    transcript.flush();
  }

  const { checks } = story();
  printSummary(stack, checks);
  const failed = checks.filter((check) => !check.ok);
  print('');
  if (timedOut || failed.length > 0) {
    const reason = timedOut
      ? `the story did not complete within ${DEADLINE_MS / 1000} s`
      : `${failed.length} check${failed.length === 1 ? '' : 's'} failed`;
    print(style.bad(`✘ Demo failed: ${reason}.`));
    for (const check of failed) print(style.bad(`  ✘ ${check.text}`));
    return 1;
  }
  print(style.good('✔ Demo complete.'));
  return 0;
}

/** The last moment the bot did anything people could see or the local Discord served a request. */
function lastActivity(stack: DemoStack, transcript: Transcript): number {
  const requests = stack.discord.counters.log();
  return Math.max(transcript.lastChangeAt(), requests.at(-1)?.at ?? 0);
}

function isVideo(attachment: StoredAttachment): boolean {
  return attachment.filename.toLowerCase().endsWith('.mp4') || attachment.contentType === 'video/mp4';
}

function describeVideo(attachment: StoredAttachment, expected: Buffer): string[] {
  if (!isVideo(attachment)) return [];
  return attachment.data.equals(expected)
    ? [style.good('  ✔ byte for byte the MP4 the video API served')]
    : [style.bad(`  ✘ not the MP4 the video API served (${formatBytes(expected.length)})`)];
}

const textOf = (transcript: Transcript, message: FakeMessage) =>
  versionLines(message.current, transcript.names, { loadingText: '' }).join('\n');

/** Reads the story from what people can see, and judges it. */
function observeStory(
  stack: DemoStack,
  transcript: Transcript,
  expectedVideo: Buffer,
): { complete: boolean; checks: Check[] } {
  const { discord, alice, channel } = stack;
  const botMessages = discord.messages
    .visibleIn(channel)
    .filter((message) => message.authorId === discord.bot.id && message.webhookId === null);
  const progress = botMessages[0];
  const result = progress
    ? botMessages.find((message) => message.current.messageReference?.message_id === progress.id)
    : undefined;
  const dms = discord.messages.dmsTo(alice);
  const carriesVideo = (message: FakeMessage | undefined) =>
    message?.current.attachments.some(
      (attachment) => isVideo(attachment) && attachment.data.equals(expectedVideo),
    ) ?? false;

  const finished = progress !== undefined && /\bcompleted\b/i.test(textOf(transcript, progress));
  const pingsNobody = (version: MessageVersion) =>
    version.pings.users.length + version.pings.roles.length === 0 && !version.pings.everyone;
  const versions = progress?.versions.length ?? 0;
  const pinged = result?.current.pings.users ?? [];
  const video = formatBytes(expectedVideo.length);
  const checks: Check[] = [
    { ok: finished, text: `the progress message in #${CHANNEL} reached the final state: Completed` },
    { ok: versions >= 3, text: `the progress message followed the task: ${versions} versions` },
    {
      ok: progress?.versions.every(pingsNobody) ?? false,
      text: 'no version of the progress message pinged anyone',
    },
    {
      ok: result !== undefined && pinged.length === 1 && pinged[0] === alice.id,
      text: `a result message replies to the progress message and pings ${USER} alone`,
    },
    { ok: carriesVideo(result), text: `the result message carries the MP4 byte for byte (${video})` },
    {
      ok: result !== undefined && JSON.stringify(progress?.current.embeds ?? []).includes(result.id),
      text: 'the final progress message links to the result message',
    },
    {
      ok: dms.length === 1,
      text: `${USER} got ${dms.length === 1 ? 'exactly one DM' : `${dms.length} DMs, not one`} (she asked with notify:true)`,
    },
    { ok: carriesVideo(dms[0]), text: `the DM carries the MP4 byte for byte (${video})` },
  ];
  return { complete: finished && result !== undefined && dms.length > 0, checks };
}

function printSummary(stack: DemoStack, checks: readonly Check[]): void {
  const { discord, api } = stack;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  print('');
  print(style.bold('─'.repeat(78)));
  print(style.bold(' What happened'));
  for (const check of checks) print(`  ${check.ok ? style.good('✔') : style.bad('✘')} ${check.text}`);
  const apiCalls = (route: string) => api.requests.filter((request) => request.route === route).length;
  const limited = Object.values(discord.counters.rateLimited()).reduce((sum, n) => sum + n, 0);
  print(style.bold(' Behind the scenes'));
  print(
    `  video API: ${count(apiCalls('status'), 'status poll')}, ${count(apiCalls('content') + apiCalls('file'), 'video download')}`,
  );
  print(`  Discord:   ${describeRequests(discord.counters.requestsByRoute())}`);
  print(
    `             ${count(limited, 'rate-limited answer')} (429), ${count(discord.internalErrors().length, 'error')} in the local Discord`,
  );
}

/** Requests the bot made, in words: `1 message posted, 6 message edits, …`. */
function describeRequests(byRoute: Record<string, number>): string {
  const kinds: [RegExp, string][] = [
    [/^POST \/channels\/:channel_id\/messages$/, 'message posts'],
    [/^PATCH \/channels\/:channel_id\/messages\/:message_id$/, 'message edits'],
    [/^\w+ \/(interactions|webhooks)\//, 'interaction answers'],
    [/^POST \/users\/@me\/channels$/, 'DM channel opens'],
    [/\/applications\/|\/gateway/, 'setup (gateway, commands)'],
  ];
  const totals = new Map<string, number>();
  for (const [route, count] of Object.entries(byRoute)) {
    const kind = kinds.find(([pattern]) => pattern.test(route))?.[1] ?? route;
    totals.set(kind, (totals.get(kind) ?? 0) + count);
  }
  return [...totals].map(([kind, count]) => `${kind} ×${count}`).join(', ') || 'no requests';
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `Demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
