import { describe, expect, it } from 'vitest';
import {
  REQUIRED_CHANNEL_PERMISSIONS,
  renderError,
  renderLimitReached,
  renderMissingPermissions,
  renderNotTrackedReply,
  renderTrackedReply,
  renderUnsupportedChannel,
  renderUntrackedReply,
  type ErrorKind,
} from '../../../src/render/index.js';
import { CHINESE, expectNoLiveMentions, expectWithinDiscordLimits } from './fixtures.js';

const URL = 'https://discord.com/channels/100000000000000001/100000000000000002/100000000000000003';

describe('replies to the caller', () => {
  it('links the progress message, new or already there', () => {
    expect(
      renderTrackedReply({ locale: 'en-US', taskId: 'video_1', messageUrl: URL, alreadyTracked: false })
        .content,
    ).toBe(`Tracking \`video_1\` in this channel: ${URL}`);
    expect(
      renderTrackedReply({ locale: 'en-US', taskId: 'video_1', messageUrl: URL, alreadyTracked: true })
        .content,
    ).toBe(`\`video_1\` is already tracked in this channel: ${URL}`);
    expect(
      renderTrackedReply({ locale: 'zh-CN', taskId: 'video_1', messageUrl: URL, alreadyTracked: false })
        .content,
    ).toBe(`已在本频道跟踪 \`video_1\`：${URL}`);
  });

  it('confirms untracking, or says the task was not tracked here', () => {
    expect(renderUntrackedReply('en-US', 'video_1').content).toBe(
      'Stopped tracking `video_1` in this channel.',
    );
    expect(renderNotTrackedReply('en-US', 'video_1').content).toBe(
      '`video_1` is not tracked in this channel.',
    );
  });

  it('names the limit reached, per user and per server', () => {
    expect(renderLimitReached('en-US', 'user', 25).content).toContain('You already track 25 active tasks');
    expect(renderLimitReached('en-US', 'guild', 500).content).toContain(
      'This server already tracks 500 active tasks',
    );
    expect(renderLimitReached('zh-CN', 'user', 25).content).toContain('你已在跟踪 25 个');
  });

  it('names each missing permission as Discord shows it', () => {
    const all = renderMissingPermissions('en-US', REQUIRED_CHANNEL_PERMISSIONS).content;
    for (const name of [
      'View Channel',
      'Send Messages',
      'Embed Links',
      'Attach Files',
      'Read Message History',
    ]) {
      expect(all).toContain(name);
    }
    expect(renderMissingPermissions('en-US', ['EmbedLinks', 'AttachFiles']).content).toContain(
      ': Embed Links, Attach Files.',
    );
    expect(renderMissingPermissions('zh-CN', ['EmbedLinks', 'AttachFiles']).content).toContain(
      '嵌入链接、附加文件',
    );
  });

  it('explains an unsupported channel', () => {
    expect(renderUnsupportedChannel('zh-CN').content).toMatch(CHINESE);
  });
});

describe('renderError', () => {
  it('shows what an id looks like when it is invalid', () => {
    const content = renderError('invalid_id', 'en-US', { taskId: 'not an id!' }).content;
    expect(content).toContain('`not an id!` is not a valid task id');
    expect(content).toContain('`video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5`');
  });

  it('has a specific message for each kind of failure', () => {
    expect(renderError('not_found', 'en-US', { taskId: 'video_1' }).content).toContain(
      'knows no task `video_1`',
    );
    expect(renderError('unauthorized', 'en-US').content).toContain('A server operator must fix');
    expect(renderError('rate_limited', 'en-US').content).toContain('Try again in a minute');
    expect(renderError('rate_limited', 'en-US', { retryAfterMs: 90_000 }).content).toContain(
      'Try again in 1m 30s',
    );
    expect(renderError('transient', 'en-US').content).toContain('cannot be reached');
    expect(renderError('bad_request', 'en-US', { taskId: 'video_1' }).content).toContain(
      'rejected the request for `video_1`',
    );
    expect(renderError('expired', 'en-US', { taskId: 'video_1' }).content).toContain('`video_1` has expired');
    expect(renderError('transient_discord', 'en-US').content).toContain(
      'Could not post the progress message',
    );
    expect(renderError('guild_only', 'en-US').content).toContain('only in a server channel');
    expect(renderError('unexpected', 'en-US').content).toContain('Something went wrong');
  });

  // A record, so that a new error kind without a case here fails to compile.
  const everyKind: Record<ErrorKind, true> = {
    invalid_id: true,
    not_found: true,
    unauthorized: true,
    rate_limited: true,
    transient: true,
    bad_request: true,
    expired: true,
    transient_discord: true,
    guild_only: true,
    unexpected: true,
  };
  const kinds = Object.keys(everyKind) as ErrorKind[];

  it.each(kinds)('%s: Chinese for zh-CN, distinct from the others, never pings', (kind) => {
    const params = { taskId: '@everyone <@123456789012345678>' + 'x'.repeat(5000) };
    const zh = renderError(kind, 'zh-CN', params);
    expect(zh.content).toMatch(CHINESE);
    expect(zh.allowed_mentions).toEqual({ parse: [] });
    expectWithinDiscordLimits(zh);
    expectNoLiveMentions(zh);
    const others = kinds.filter((k) => k !== kind).map((k) => renderError(k, 'en-US', params).content);
    expect(others).not.toContain(renderError(kind, 'en-US', params).content);
  });
});
