import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/ops/metrics.js';
import { measureVideoApi } from '../../../src/video-api/measured.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';

describe('the metrics of a process', () => {
  it("labels every shard's work with its shard, and stops reporting a shard's tasks once detached", async () => {
    const metrics = createMetrics();
    const zero = metrics.forShard(0, { tasksTracked: () => 2 });
    const one = metrics.forShard(1, { tasksTracked: () => 9 });
    zero.discordRequests.inc({ method: 'PATCH', route: '/channels/:id/messages/:id', status: '200' });
    one.rateLimitWaitSeconds.inc({ scope: 'user' }, 1.5);
    one.pollSeconds.observe(0.2);

    let text = await metrics.registry.metrics();
    expect(text).toContain('sora_tracker_tasks_tracked{shard="0"} 2');
    expect(text).toContain('sora_tracker_tasks_tracked{shard="1"} 9');
    expect(text).toContain(
      'sora_tracker_discord_requests_total{shard="0",method="PATCH",route="/channels/:id/messages/:id",status="200"} 1',
    );
    expect(text).toContain('sora_tracker_discord_rate_limit_wait_seconds_total{shard="1",scope="user"} 1.5');
    expect(text).toContain('sora_tracker_poll_duration_seconds_count{shard="1"} 1');

    one.detach();
    text = await metrics.registry.metrics();
    expect(text).toContain('sora_tracker_tasks_tracked{shard="0"} 2');
    expect(text).not.toContain('sora_tracker_tasks_tracked{shard="1"}');
  });

  it('keeps separate registries: two processes in one test never share a metric', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.forShard(0, { tasksTracked: () => 1 }).polls.inc({ outcome: 'error' });
    expect(await b.registry.metrics()).not.toContain('outcome="error"');
  });
});

describe('video API timing', () => {
  const snapshot = { id: 'video_1', status: 'completed' } as VideoSnapshot;

  it('times each request by operation, with the outcome or the kind of error', async () => {
    const metrics = createMetrics();
    const shard = metrics.forShard(0, { tasksTracked: () => 0 });
    let fail = false;
    const api: VideoApiClient = {
      getVideo: () =>
        fail
          ? Promise.reject(new VideoApiError({ kind: 'rate_limited', message: 'slow down' }))
          : Promise.resolve(snapshot),
      downloadVideo: () => Promise.reject(new Error('socket hang up')),
      close: () => Promise.resolve(),
    };
    const measured = measureVideoApi(api, shard.apiRequestSeconds);
    expect(await measured.getVideo('video_1')).toBe(snapshot);
    fail = true;
    await expect(measured.getVideo('video_1')).rejects.toThrow('slow down');
    await expect(measured.downloadVideo('video_1', { maxBytes: 1 })).rejects.toThrow('socket hang up');

    const text = await metrics.registry.metrics();
    const count = (labels: string) =>
      new RegExp(`sora_tracker_api_request_duration_seconds_count\\{${labels}\\} (\\d+)`).exec(text)?.[1];
    expect(count('shard="0",operation="get_video",outcome="ok"')).toBe('1');
    expect(count('shard="0",operation="get_video",outcome="rate_limited"')).toBe('1');
    expect(count('shard="0",operation="download",outcome="error"')).toBe('1');
  });
});
