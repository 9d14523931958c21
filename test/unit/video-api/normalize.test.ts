/**
 * Table-driven checks of every relay shape and fact in docs/video-api.md that concerns reading a task body,
 * plus the seed relay's two examples byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { classifyStatus, normalizeVideo } from '../../../src/video-api/normalize.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/seeds/${name}`, import.meta.url), 'utf8');
const read = (body: unknown, previous?: { progress: number | undefined }) =>
  normalizeVideo(body, { id: 'task-1', previous, secrets: ['sk-live-secret-key'] });
const snap = (body: unknown, previous?: { progress: number | undefined }) => read(body, previous).snapshot;

describe('seed relay examples (byte for byte)', () => {
  /** The JSON fixtures are the examples of the seed document, copied unchanged into test/fixtures/seeds/. */
  const seedExamples = () => {
    const text = fixture('003_a165dd937a8e52dd.txt');
    const yaml = text.slice(text.indexOf('```yaml\n') + 8, text.lastIndexOf('```'));
    type Examples = Record<string, { value: unknown }>;
    type Operation = { responses: Record<string, { content: Record<string, { examples: Examples }> }> };
    const document = parseYaml(yaml) as { paths: Record<string, { get: Operation }> };
    return document.paths['/v1/videos/{id}']!.get.responses['200']!.content['application/json']!.examples;
  };

  it('the JSON fixtures are exactly the seed document’s examples', () => {
    const examples = seedExamples();
    expect(JSON.parse(fixture('get-video-pending.json'))).toEqual(examples['1']!.value);
    expect(JSON.parse(fixture('get-video-completed.json'))).toEqual(examples['2']!.value);
  });

  it('reads the pending example: running, 93 %, nested status shown, ISO creation time', () => {
    const { snapshot, unrecognisedStatus } = normalizeVideo(JSON.parse(fixture('get-video-pending.json')), {
      id: 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60',
    });
    expect(unrecognisedStatus).toBeUndefined();
    expect(snapshot).toEqual<VideoSnapshot>({
      id: 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60',
      status: 'in_progress',
      rawStatus: 'processing',
      progress: 93,
      videoUrl: undefined,
      failure: undefined,
      model: undefined,
      size: '352x640',
      durationSeconds: undefined,
      prompt: 'make animate',
      enhancedPrompt: undefined,
      createdAt: new Date('2025-10-06T15:10:26.875Z'),
      completedAt: undefined,
      expiresAt: undefined,
      statusUpdatedAt: new Date(1759763621142),
      queuePosition: undefined,
      estimatedWaitSeconds: undefined,
    });
  });

  it('reads the completed example: link, seconds as text, timestamps in seconds', () => {
    const snapshot = normalizeVideo(JSON.parse(fixture('get-video-completed.json')), {
      id: 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980',
    }).snapshot;
    expect(snapshot).toEqual<VideoSnapshot>({
      id: 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980',
      status: 'completed',
      rawStatus: 'completed',
      progress: 100,
      videoUrl:
        'https://midjourney-plus.oss-us-west-1.aliyuncs.com/sora/cc4fb429-22a5-4747-a6f9-a6badccf8f42.mp4',
      failure: undefined,
      model: 'sora-2',
      size: '1280x720',
      durationSeconds: 10,
      prompt: undefined,
      enhancedPrompt: undefined,
      createdAt: new Date(1761622232 * 1000),
      completedAt: new Date(1761622385 * 1000),
      expiresAt: undefined,
      statusUpdatedAt: undefined,
      queuePosition: undefined,
      estimatedWaitSeconds: undefined,
    });
  });

  it('reads the /content document schema of the seed (enhanced_prompt, ms status_update_time, null link)', () => {
    const snapshot = snap({
      id: 'video_099c5197-abfd-4e16-88ff-1e162f2a5c77',
      status: 'processing',
      video_url: null,
      enhanced_prompt: 'A cinematic shot of a cat',
      status_update_time: 1759763621142,
    });
    expect(snapshot).toMatchObject({
      status: 'in_progress',
      videoUrl: undefined,
      enhancedPrompt: 'A cinematic shot of a cat',
      statusUpdatedAt: new Date(1759763621142),
    });
  });
});

describe('status words, case-insensitive', () => {
  const table: Array<[VideoSnapshot['status'], string[]]> = [
    [
      'queued',
      [
        'queued',
        'pending',
        'submitted',
        'not_start',
        'preparing',
        'created',
        'starting',
        'unknown',
        'notstarted',
      ],
    ],
    ['in_progress', ['in_progress', 'processing', 'running', 'generating']],
    ['completed', ['completed', 'complete', 'success', 'succeeded', 'finished']],
    ['failed', ['failed', 'failure', 'fail', 'error', 'cancelled', 'canceled']],
  ];
  for (const [status, words] of table) {
    it.each(words.flatMap((word) => [word, word.toUpperCase()]))(`"%s" → ${status}`, (word) => {
      expect(classifyStatus(word)).toBe(status);
      const { snapshot, unrecognisedStatus } = read({ status: word });
      expect(snapshot.status).toBe(status);
      expect(snapshot.rawStatus).toBe(word);
      expect(unrecognisedStatus).toBeUndefined();
    });
  }

  it('new-api internal upper-case words map too', () => {
    expect(
      ['NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE', 'UNKNOWN'].map(
        (w) => snap({ status: w }).status,
      ),
    ).toEqual(['queued', 'queued', 'queued', 'in_progress', 'completed', 'failed', 'queued']);
  });

  it('an unknown word counts as running and is reported for logging', () => {
    const { snapshot, unrecognisedStatus } = read({ status: 'Rendering_Frames', progress: 12 });
    expect(snapshot.status).toBe('in_progress');
    expect(snapshot.rawStatus).toBe('Rendering_Frames');
    expect(unrecognisedStatus).toBe('Rendering_Frames');
  });

  it('a body with no status at all counts as running and is reported', () => {
    const { snapshot, unrecognisedStatus } = read({ id: 'x', progress: 5 });
    expect(snapshot.status).toBe('in_progress');
    expect(unrecognisedStatus).toBe('');
  });
});

describe('nested status', () => {
  it.each<[string, unknown, VideoSnapshot['status'], string]>([
    [
      'pending over processing shows processing',
      { status: 'pending', detail: { status: 'pending', pending_info: { status: 'processing' } } },
      'in_progress',
      'processing',
    ],
    [
      'pending over queued stays queued',
      { status: 'pending', detail: { status: 'pending', pending_info: { status: 'queued' } } },
      'queued',
      'queued',
    ],
    [
      'a terminal word only in pending_info does not end the task',
      { status: 'pending', detail: { status: 'pending', pending_info: { status: 'failed' } } },
      'in_progress',
      'failed',
    ],
    [
      'detail.status may end it',
      { status: 'pending', detail: { status: 'failed', pending_info: { status: 'processing' } } },
      'failed',
      'failed',
    ],
    [
      'the top level ends it',
      { status: 'completed', detail: { status: 'pending', pending_info: { status: 'processing' } } },
      'completed',
      'completed',
    ],
  ])('%s', (_name, body, status, rawStatus) => {
    const snapshot = snap(body);
    expect(snapshot.status).toBe(status);
    expect(snapshot.rawStatus).toBe(rawStatus);
  });
});

describe('progress', () => {
  it.each<[string, unknown, number | undefined]>([
    ['an int 0–100', { status: 'in_progress', progress: 33 }, 33],
    ['a string "30%"', { status: 'in_progress', progress: '30%' }, 30],
    ['a string " 45 % "', { status: 'in_progress', progress: ' 45 % ' }, 45],
    [
      'a 0..1 fraction in detail.pending_info.progress_pct',
      { status: 'pending', detail: { pending_info: { progress_pct: 0.9302178175176704 } } },
      93,
    ],
    ['progress_pct 1 is 100', { status: 'pending', detail: { pending_info: { progress_pct: 1 } } }, 100],
    [
      'progress_pct above 1 is already a percentage',
      { status: 'pending', detail: { pending_info: { progress_pct: 57 } } },
      57,
    ],
    ['progress_pct 0', { status: 'pending', detail: { pending_info: { progress_pct: 0 } } }, 0],
    [
      'null early on (Sora web)',
      { status: 'pending', detail: { pending_info: { progress_pct: null } } },
      undefined,
    ],
    ['missing', { status: 'queued' }, undefined],
    ['above 100 clamps', { status: 'in_progress', progress: 150 }, 100],
    ['below 0 clamps', { status: 'in_progress', progress: -5 }, 0],
    ['a fraction never rounds up to 100', { status: 'in_progress', progress: 99.7 }, 99],
    [
      'the top-level progress wins over progress_pct',
      { status: 'pending', progress: 20, detail: { pending_info: { progress_pct: 0.5 } } },
      20,
    ],
  ])('reads %s', (_name, body, expected) => {
    expect(snap(body).progress).toBe(expected);
  });

  it.each<[string, unknown, number | undefined, number | undefined]>([
    ['keeps the last value when null', { status: 'in_progress', progress: null }, 40, 40],
    ['keeps the last value when missing', { status: 'in_progress' }, 40, 40],
    ['never goes backwards', { status: 'in_progress', progress: 30 }, 60, 60],
    ['moves forwards', { status: 'in_progress', progress: 70 }, 60, 70],
  ])('%s', (_name, body, previous, expected) => {
    expect(snap(body, { progress: previous }).progress).toBe(expected);
  });

  it('never infers success from 100 (new-api stores 100 % on failure)', () => {
    const snapshot = snap({ status: 'failed', progress: 100, error: { message: 'upstream timeout' } });
    expect(snapshot.progress).toBe(100);
    expect(snapshot.status).toBe('failed');
    expect(snap({ status: 'in_progress', progress: 100 }).status).toBe('in_progress');
  });
});

describe('the video link', () => {
  const link = (n: number) => `https://cdn.example/v${n}.mp4`;
  it.each<[string, unknown, string | undefined]>([
    ['video_url', { status: 'completed', video_url: link(1) }, link(1)],
    ['url', { status: 'completed', url: link(2) }, link(2)],
    ['metadata.url (new-api)', { status: 'completed', metadata: { url: link(3) } }, link(3)],
    ['meta_data.url (juheapi)', { status: 'completed', meta_data: { url: link(4) } }, link(4)],
    ['result_url (new-api legacy)', { status: 'SUCCESS', result_url: link(5) }, link(5)],
    [
      'generations[0].url (Sora web)',
      { status: 'succeeded', detail: { pending_info: { generations: [{ url: link(6) }] } } },
      link(6),
    ],
    [
      'generations[0].downloadable_url',
      { status: 'succeeded', detail: { pending_info: { generations: [{ downloadable_url: link(7) }] } } },
      link(7),
    ],
    ['video_url before url', { status: 'completed', url: link(2), video_url: link(1) }, link(1)],
    ['url before metadata.url', { status: 'completed', metadata: { url: link(3) }, url: link(2) }, link(2)],
    ['an empty video_url is skipped', { status: 'completed', video_url: '', url: link(2) }, link(2)],
    ['a null video_url (OpenAI-like) gives none', { status: 'in_progress', video_url: null }, undefined],
    ['a non-http link is ignored', { status: 'completed', video_url: 'javascript:alert(1)' }, undefined],
    ['none at all (official API: bytes via /content)', { status: 'completed' }, undefined],
  ])('%s', (_name, body, expected) => {
    expect(snap(body).videoUrl).toBe(expected);
  });
});

describe('failure reason and moderation', () => {
  it.each<[string, unknown, string, boolean]>([
    [
      'error.message (OpenAI)',
      { status: 'failed', error: { code: 'internal_error', message: 'Video generation failed.' } },
      'Video generation failed.',
      false,
    ],
    [
      'error.code when there is no message',
      { status: 'failed', error: { code: 'moderation_blocked' } },
      'moderation_blocked',
      true,
    ],
    [
      'moderation_blocked with its message',
      {
        status: 'failed',
        error: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' },
      },
      'Your request was blocked by our moderation system.',
      true,
    ],
    [
      'error as a string (anyfast, nexaxis)',
      { status: 'failed', error: 'content too long' },
      'content too long',
      false,
    ],
    [
      'error:{message} only (GSA)',
      { status: 'failed', error: { message: '内容违规: 不允许' } },
      '内容违规: 不允许',
      false,
    ],
    [
      'failure_reason (Sora web pending item)',
      { status: 'failed', failure_reason: 'gpu lost' },
      'gpu lost',
      false,
    ],
    [
      'detail.pending_info.failure_reason',
      { status: 'pending', detail: { status: 'failed', pending_info: { failure_reason: 'frame error' } } },
      'frame error',
      false,
    ],
    [
      'fail_reason (new-api TaskDto)',
      { status: 'FAILURE', fail_reason: '任务超时（1440分钟）' },
      '任务超时（1440分钟）',
      false,
    ],
    [
      'error.message before failure_reason',
      { status: 'failed', error: { message: 'first' }, failure_reason: 'second' },
      'first',
      false,
    ],
    [
      'JSON stringified inside error.message (new_api_error)',
      {
        status: 'failed',
        error: {
          message: '{"error":{"message":"401: Unauthorized, a user is required to access this resource"}}',
          type: 'new_api_error',
          code: 'unknown_error',
        },
      },
      '401: Unauthorized, a user is required to access this resource',
      false,
    ],
    [
      'kind sora_content_violation',
      { status: 'failed', kind: 'sora_content_violation', failure_reason: 'violence' },
      'violence',
      true,
    ],
    [
      'moderation_result.type other than passed',
      {
        status: 'failed',
        detail: { status: 'failed', pending_info: { moderation_result: { type: 'blocked' } } },
      },
      'Blocked by content moderation.',
      true,
    ],
    [
      'moderation_result passed is no moderation',
      {
        status: 'failed',
        detail: { pending_info: { failure_reason: 'x', moderation_result: { type: 'passed' } } },
      },
      'x',
      false,
    ],
    [
      'no reason at all',
      { status: 'failed' },
      'The video API reported the task as failed without a reason.',
      false,
    ],
    ['cancelled without reason', { status: 'cancelled' }, 'The task was cancelled.', false],
  ])('%s', (_name, body, reason, moderation) => {
    expect(snap(body).failure).toEqual({ reason, moderation });
  });

  it('running tasks carry no failure even with an error field', () => {
    expect(snap({ status: 'in_progress', error: null, failure_reason: null }).failure).toBeUndefined();
  });

  it('scrubs our key and key-like tokens from a reason and clips it', () => {
    const reason = snap({
      status: 'failed',
      error: { message: `upstream said Bearer sk-live-secret-key is bad; ${'x'.repeat(600)}` },
    }).failure!.reason;
    expect(reason).not.toContain('sk-live-secret-key');
    expect(reason.length).toBeLessThanOrEqual(300);
  });
});

describe('timestamps', () => {
  it.each<[string, unknown, Date | undefined]>([
    ['unix seconds', { created_at: 1761622232 }, new Date(1761622232_000)],
    ['milliseconds (13 digits, new-api docs)', { created_at: 1764347090922 }, new Date(1764347090922)],
    [
      'ISO text (pending_info.created_at)',
      { detail: { pending_info: { created_at: '2025-10-06T15:10:26.875729Z' } } },
      new Date('2025-10-06T15:10:26.875Z'),
    ],
    ['`created` instead of `created_at` (globalaiopc)', { created: 1761622232 }, new Date(1761622232_000)],
    ['numeric text', { created_at: '1761622232' }, new Date(1761622232_000)],
    ['0 means unset', { created_at: 0 }, undefined],
    ['garbage is ignored', { created_at: 'yesterday-ish' }, undefined],
  ])('createdAt from %s', (_name, body, expected) => {
    expect(snap({ status: 'queued', ...(body as object) }).createdAt).toEqual(expected);
  });

  it('reads completed_at, expires_at and status_update_time', () => {
    const snapshot = snap({
      status: 'completed',
      completed_at: 1761622385,
      expires_at: 1761625985,
      status_update_time: 1759763621142,
    });
    expect(snapshot.completedAt).toEqual(new Date(1761622385_000));
    expect(snapshot.expiresAt).toEqual(new Date(1761625985_000));
    expect(snapshot.statusUpdatedAt).toEqual(new Date(1759763621142));
  });
});

describe('seconds and size', () => {
  it.each<[string, unknown, number | undefined]>([
    ['"8"', '8', 8],
    ['"10" (Sora-web relays)', '10', 10],
    ['"20"', '20', 20],
    ['a number', 12, 12],
    ['missing', undefined, undefined],
    ['not a number', 'long', undefined],
  ])('seconds %s', (_name, seconds, expected) => {
    expect(snap({ status: 'queued', seconds }).durationSeconds).toBe(expected);
  });

  it.each<[string, unknown, string | undefined]>([
    ['WxH', { size: '1280x720' }, '1280x720'],
    ['WXH normalised', { size: '1792X1024' }, '1792x1024'],
    ['a label such as small', { size: 'small' }, 'small'],
    ['missing', {}, undefined],
    ['detail.input.size label', { detail: { input: { size: 'small' } } }, 'small'],
  ])('size %s', (_name, body, expected) => {
    expect(snap({ status: 'queued', ...(body as object) }).size).toBe(expected);
  });
});

describe('shapes: unknown fields ignored, nothing required', () => {
  it.each<[string, unknown, Partial<VideoSnapshot>]>([
    [
      'official OpenAI object (GUIDE poll example, null fields omitted)',
      {
        id: 'video_68d7',
        object: 'video',
        created_at: 1758941485,
        status: 'in_progress',
        model: 'sora-2-pro',
        progress: 33,
        seconds: '8',
        size: '1280x720',
      },
      {
        status: 'in_progress',
        progress: 33,
        model: 'sora-2-pro',
        durationSeconds: 8,
        size: '1280x720',
        createdAt: new Date(1758941485_000),
      },
    ],
    [
      'SPEC create example with the unknown `quality` field',
      {
        id: 'video_123',
        object: 'video',
        model: 'sora-2',
        status: 'queued',
        progress: 0,
        created_at: 1712697600,
        size: '1024x1792',
        seconds: '8',
        quality: 'standard',
      },
      { status: 'queued', progress: 0, size: '1024x1792', durationSeconds: 8 },
    ],
    [
      'new-api docs example (ms created_at)',
      {
        id: 'sora-2-123456',
        object: 'video',
        model: 'sora-2',
        status: 'queued',
        progress: 0,
        created_at: 1764347090922,
        seconds: '8',
      },
      { status: 'queued', createdAt: new Date(1764347090922) },
    ],
    [
      'new-api legacy TaskDto in its envelope',
      {
        code: 'success',
        data: {
          task_id: 't',
          status: 'IN_PROGRESS',
          progress: '30%',
          result_url: '',
          fail_reason: '',
          submit_time: 1761622232,
        },
      },
      { status: 'in_progress', rawStatus: 'IN_PROGRESS', progress: 30, createdAt: new Date(1761622232_000) },
    ],
    [
      'new-api Gemini legacy envelope',
      {
        code: 'success',
        data: { status: 'succeeded', url: 'https://cdn.example/g.mp4', format: 'mp4', task_id: 't' },
      },
      { status: 'completed', videoUrl: 'https://cdn.example/g.mp4' },
    ],
    [
      'globalaiopc video.generation',
      {
        id: 'sora_abc',
        object: 'video.generation',
        created: 1761622232,
        model: 'sora-2',
        status: 'processing',
        video_url: null,
      },
      {
        status: 'in_progress',
        progress: undefined,
        createdAt: new Date(1761622232_000),
        videoUrl: undefined,
      },
    ],
    [
      'anyfast completed with url, video_url, size small, seconds 12',
      {
        id: 'video_69b1',
        status: 'completed',
        progress: 100,
        url: 'https://filesystem.site/cdn/a.mp4',
        video_url: 'https://filesystem.site/cdn/a.mp4',
        size: 'small',
        seconds: '12',
        created_at: 1773220330,
        error: null,
      },
      {
        status: 'completed',
        videoUrl: 'https://filesystem.site/cdn/a.mp4',
        size: 'small',
        durationSeconds: 12,
      },
    ],
    [
      'seed relay queue position and estimated wait',
      {
        status: 'pending',
        detail: {
          status: 'pending',
          pending_info: { status: 'queued', progress_pos_in_queue: 4, estimated_queue_wait_time: 95 },
        },
      },
      { status: 'queued', queuePosition: 4, estimatedWaitSeconds: 95 },
    ],
    [
      'prompt and enhanced_prompt',
      { status: 'queued', prompt: 'a cat', enhanced_prompt: 'a fluffy cat, cinematic' },
      { prompt: 'a cat', enhancedPrompt: 'a fluffy cat, cinematic' },
    ],
    [
      'deeply odd but harmless extra fields',
      {
        status: 'queued',
        detail: 'not an object',
        metadata: 42,
        meta_data: [1, 2],
        generations: 'x',
        remixed_from_video_id: null,
        n_frames: 450,
      },
      { status: 'queued', videoUrl: undefined },
    ],
  ])('%s', (_name, body, expected) => {
    expect(snap(body)).toMatchObject(expected);
  });

  it.each([null, [], 'text', 42])('a body that is not an object (%j) does not throw', (body) => {
    expect(snap(body).status).toBe('in_progress');
  });

  it('keeps the id the user gave, not the one the relay echoes', () => {
    expect(snap({ id: 'task_other', status: 'queued' }).id).toBe('task-1');
  });
});
