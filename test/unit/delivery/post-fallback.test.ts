import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDelivery,
  type Delivery,
  type PostAllowance,
  type PostOutcome,
  type ResultContent,
  type ResultPublisher,
} from '../../../src/delivery/delivery.js';
import { firstPost, postAfterRefusal, type ResultPost } from '../../../src/delivery/post-fallback.js';
import { renderResultMessage } from '../../../src/render/result.js';
import { createTrackingStore, type TrackingStore } from '../../../src/store/index.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import {
  ALICE,
  CHANNEL_A,
  MiB,
  PUBLIC_URL,
  TASK_ID,
  downloadedFile,
  endedTask,
  subscription,
} from './fixtures.js';

/**
 * A channel that lacks Attach Files or Read Message History still gets its result: the link instead of
 * the file, a plain message instead of a reply. Only a refusal of the plainest post drops the channel.
 */

const attached: ResultContent = {
  kind: 'attached',
  video: { path: '/tmp/v.mp4', bytes: 2 * MiB, contentType: 'video/mp4' },
};
const attachDenied: ResultContent = { kind: 'linked', url: PUBLIC_URL, bytes: 2 * MiB, why: 'attach_denied' };
const noLinkTask = endedTask({ snapshot: { ...endedTask().snapshot!, videoUrl: undefined } });
const forbidden: PostOutcome = { kind: 'forbidden', missing: 'unknown' };
const replyRefused: PostOutcome = { kind: 'forbidden', missing: 'reply' };

describe('the first post, fitted to what the channel is known to allow', () => {
  it('everything when nothing is known or everything is allowed', () => {
    const all: PostAllowance = { attachFiles: true, reply: true };
    expect(firstPost(endedTask(), attached, undefined)).toEqual({ content: attached, reply: true });
    expect(firstPost(endedTask(), attached, all)).toEqual({ content: attached, reply: true });
  });

  it('without Attach Files: the link, saying why; or an explanation when there is no link', () => {
    const noFiles: PostAllowance = { attachFiles: false, reply: true };
    expect(firstPost(endedTask(), attached, noFiles)).toEqual({ content: attachDenied, reply: true });
    expect(firstPost(noLinkTask, attached, noFiles).content).toEqual({ kind: 'attach_denied_no_link' });
  });

  it('without Read Message History: a plain message, not a reply', () => {
    expect(firstPost(endedTask(), attached, { attachFiles: true, reply: false })).toEqual({
      content: attached,
      reply: false,
    });
  });

  it('content without a file is left as it is', () => {
    const failed: ResultContent = { kind: 'failed' };
    expect(firstPost(endedTask(), failed, { attachFiles: false, reply: true }).content).toBe(failed);
  });
});

describe('what the channel reads when the bot may not attach files', () => {
  const read = (content: ResultContent, locale = 'en-US') =>
    renderResultMessage({
      locale,
      taskId: TASK_ID,
      requesterId: ALICE,
      snapshot: endedTask().snapshot,
      content,
      progressMessageId: 'p',
    }).content;

  it('why it is linked, with the link; or that there is no link, and what would help', () => {
    expect(read(attachDenied)).toMatch(/not allowed to attach files in this channel: \[download the MP4\]/);
    expect(read(attachDenied)).toContain(PUBLIC_URL);
    expect(read({ kind: 'attach_denied_no_link' })).toMatch(/gave no public link\. Ask a moderator/);
    expect(read(attachDenied, 'zh-CN')).toContain('没有上传文件的权限');
    expect(read({ kind: 'attach_denied_no_link' }, 'zh-CN')).toContain('附加文件');
  });
});

describe('the next-lesser post after a refusal', () => {
  const full: ResultPost = { content: attached, reply: true };

  it('50013 drops the file first (Discord does not say which permission), then the reply, then stands', () => {
    const linkedReply = postAfterRefusal(endedTask(), full, forbidden, 10 * MiB);
    expect(linkedReply).toEqual({ content: attachDenied, reply: true });
    const plain = postAfterRefusal(endedTask(), linkedReply!, forbidden, 10 * MiB);
    expect(plain).toEqual({ content: attachDenied, reply: false });
    expect(postAfterRefusal(endedTask(), plain!, forbidden, 10 * MiB)).toBeUndefined();
  });

  it('160002 drops only the reply: the file stays', () => {
    expect(postAfterRefusal(endedTask(), full, replyRefused, 10 * MiB)).toEqual({
      content: attached,
      reply: false,
    });
  });

  it('413 links the file once; a link refused as too large stands', () => {
    const linked = postAfterRefusal(endedTask(), full, { kind: 'too_large' }, 10 * MiB);
    expect(linked).toEqual({
      content: { kind: 'linked', url: PUBLIC_URL, bytes: 2 * MiB, why: 'too_large' },
      reply: true,
    });
    expect(postAfterRefusal(endedTask(), linked!, { kind: 'too_large' }, 10 * MiB)).toBeUndefined();
  });

  it('any other answer is not a reason to send something else', () => {
    for (const outcome of [
      { kind: 'failed' },
      { kind: 'channel_lost' },
      { kind: 'posted', messageId: 'm' },
    ] as const)
      expect(postAfterRefusal(endedTask(), full, outcome, 10 * MiB)).toBeUndefined();
  });
});

describe('delivery in a channel that lacks a permission', () => {
  let store: TrackingStore;
  let delivery: Delivery;
  let allowance: PostAllowance | undefined;
  let answers: PostOutcome[];
  let posts: { content: ResultContent; reply: boolean | undefined; nonce: string }[];
  let dms: string[];

  beforeEach(async () => {
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    allowance = undefined;
    answers = [];
    posts = [];
    dms = [];
    const publisher: ResultPublisher = {
      channelUploadLimit: () => 10 * MiB,
      dmUploadLimit: 10 * MiB,
      postAllowance: () => allowance,
      postResult(_sub, _task, content, nonce, options) {
        posts.push({ content, reply: options?.reply, nonce });
        return Promise.resolve(answers.shift() ?? { kind: 'posted', messageId: `result-${posts.length}` });
      },
      sendDm(userId) {
        dms.push(userId);
        return Promise.resolve({ kind: 'sent', messageId: 'dm-1' });
      },
    };
    const videoApi: VideoApiClient = {
      getVideo: () => Promise.reject(new Error('not used')),
      downloadVideo: () => Promise.resolve(downloadedFile(2 * MiB)),
      close: () => Promise.resolve(),
    };
    delivery = createDelivery({
      store,
      videoApi,
      publisher,
      clock: createManualClock(50_000),
      logger: pino({ level: 'silent' }),
    });
    await store.putTask(endedTask());
    await store.putSubscription(subscription({ notifyUserIds: [ALICE] }));
  });

  const stored = () => store.getSubscription(TASK_ID, CHANNEL_A);

  it('known to lack Attach Files: the link is posted at once, as a reply, and recorded as linked', async () => {
    allowance = { attachFiles: false, reply: true };
    await delivery.deliver(endedTask());
    expect(posts.map((p) => [p.content, p.reply])).toEqual([[attachDenied, true]]);
    expect(await stored()).toMatchObject({ state: 'active', delivery: { state: 'posted', mode: 'linked' } });
  });

  it('a stale cache: each 50013 is answered with a lesser post under the same nonce until one goes', async () => {
    answers.push(forbidden, forbidden);
    await delivery.deliver(endedTask());
    expect(posts.map((p) => [p.content.kind, p.reply])).toEqual([
      ['attached', true],
      ['linked', true],
      ['linked', false],
    ]);
    expect(new Set(posts.map((p) => p.nonce)).size).toBe(1);
    expect(await stored()).toMatchObject({
      state: 'active',
      delivery: { state: 'posted', resultMessageId: 'result-3', mode: 'linked' },
    });
    expect((await store.getTask(TASK_ID))?.delivery?.finishedAt).toBe(50_000);
  });

  it('a reply refused for Read Message History (160002) is posted with its file, not as a reply', async () => {
    answers.push(replyRefused);
    await delivery.deliver(endedTask());
    expect(posts.map((p) => [p.content.kind, p.reply])).toEqual([
      ['attached', true],
      ['attached', false],
    ]);
    expect((await stored())?.delivery?.mode).toBe('attached');
  });

  it('refused even as plain text: the bot cannot post there, the channel is dropped, the DM still goes', async () => {
    answers.push(forbidden, forbidden, forbidden);
    await delivery.deliver(endedTask());
    expect(posts).toHaveLength(3);
    expect(await stored()).toMatchObject({ state: 'channel_lost', delivery: { state: 'failed' } });
    expect(dms).toEqual([ALICE]);
    expect((await store.getTask(TASK_ID))?.delivery?.finishedAt).toBe(50_000);
  });
});
