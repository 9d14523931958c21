/**
 * How each relay family words the same task state (docs/video-api.md#relay-dialects). The fake API renders the
 * current scripted state through one of these, so tests meet every shape the real world sends.
 */

export type Dialect =
  /** Official OpenAI video object: int progress, seconds timestamps, no link (bytes via /content). */
  | 'openai'
  /** The seed relay (jusu/anyfast family): top `pending`, `detail.pending_info` with a 0..1 `progress_pct`, ms `status_update_time`; completed like the seed's example 2. */
  | 'seed-relay'
  /** new-api's OpenAIVideo DTO for non-Sora channels: coarse progress, `metadata.url`, progress 100 on failure. */
  | 'new-api'
  /** new-api's legacy TaskDto: `{code:"success",data:{…}}`, upper-case status, `"30%"`, `result_url`, `fail_reason`. */
  | 'new-api-legacy'
  /** anyfast/starrise: `error` as a string, `size:"small"`, and /content answering JSON with `url`/`video_url`. */
  | 'anyfast'
  /** juheapi: `processing`, `meta_data.url`, `expires_at`. */
  | 'juheapi'
  /** globalaiopc: `object:"video.generation"`, `created` instead of `created_at`, no progress. */
  | 'globalaiopc'
  /** go-sora2api (GSA): `error:{message}` only, Chinese error texts. */
  | 'gsa';

export const DIALECTS: readonly Dialect[] = [
  'openai',
  'seed-relay',
  'new-api',
  'new-api-legacy',
  'anyfast',
  'juheapi',
  'globalaiopc',
  'gsa',
];

export type ScriptedStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** One scripted moment of a task, dialect-neutral. */
export interface TaskState {
  status: ScriptedStatus;
  /** 0–100. */
  progress?: number;
  failure?: { message: string; code?: string; moderation?: boolean };
  queuePosition?: number;
  estimatedWaitSeconds?: number;
}

export interface RenderContext {
  id: string;
  state: TaskState;
  /** The current time on the fake's clock, ms. */
  now: number;
  createdAtMs: number;
  completedAtMs: number | undefined;
  expiresAtMs: number | undefined;
  /** The public link to the MP4, or undefined when the task offers none. */
  publicUrl: string | undefined;
  model: string;
  size: string;
  seconds: string;
  prompt: string;
}

const sec = (ms: number) => Math.floor(ms / 1000);
const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** The JSON body of GET /videos/{id} in `dialect`. */
export function renderTask(dialect: Dialect, ctx: RenderContext): Record<string, unknown> {
  const { state } = ctx;
  const done = state.status === 'completed';
  const failed = state.status === 'failed';
  const link = done ? ctx.publicUrl : undefined;
  const progress = state.progress ?? (done ? 100 : 0);
  switch (dialect) {
    case 'openai':
      return {
        id: ctx.id,
        object: 'video',
        model: ctx.model,
        status: state.status,
        progress,
        created_at: sec(ctx.createdAtMs),
        completed_at: ctx.completedAtMs === undefined ? null : sec(ctx.completedAtMs),
        expires_at: ctx.expiresAtMs === undefined ? null : sec(ctx.expiresAtMs),
        prompt: ctx.prompt,
        size: ctx.size,
        seconds: ctx.seconds,
        quality: 'standard',
        remixed_from_video_id: null,
        error: failed
          ? {
              code: state.failure?.code ?? 'video_generation_failed',
              message: state.failure?.message ?? 'failed',
            }
          : null,
      };
    case 'seed-relay':
      return renderSeedRelay(ctx, progress, link);
    case 'new-api':
      return {
        id: ctx.id,
        object: 'video',
        model: ctx.model,
        status: state.status,
        // new-api stores 100 % on failure as well as on success.
        progress: failed ? 100 : progress,
        created_at: sec(ctx.createdAtMs),
        ...(ctx.completedAtMs === undefined ? {} : { completed_at: sec(ctx.completedAtMs) }),
        ...(link === undefined ? {} : { metadata: { url: link } }),
        ...(failed
          ? { error: { message: state.failure?.message ?? 'task failed', code: state.failure?.code ?? '' } }
          : {}),
      };
    case 'new-api-legacy':
      return {
        code: 'success',
        message: '',
        data: {
          task_id: ctx.id,
          platform: 'sora',
          action: 'generate',
          status: { queued: 'QUEUED', in_progress: 'IN_PROGRESS', completed: 'SUCCESS', failed: 'FAILURE' }[
            state.status
          ],
          progress: `${failed ? 100 : progress}%`,
          submit_time: sec(ctx.createdAtMs),
          start_time: sec(ctx.createdAtMs),
          finish_time: ctx.completedAtMs === undefined ? 0 : sec(ctx.completedAtMs),
          fail_reason: failed ? (state.failure?.message ?? 'task failed') : '',
          ...(link === undefined ? {} : { result_url: link }),
        },
      };
    case 'anyfast':
      return {
        id: ctx.id,
        object: 'video',
        model: ctx.model,
        status: state.status,
        progress,
        video_url: orNull(link),
        size: 'small',
        seconds: ctx.seconds,
        created_at: sec(ctx.createdAtMs),
        error: failed ? (state.failure?.message ?? 'failed') : null,
      };
    case 'juheapi':
      return {
        id: ctx.id,
        object: 'video',
        model: ctx.model,
        status: state.status === 'in_progress' ? 'processing' : state.status,
        progress,
        created_at: sec(ctx.createdAtMs),
        ...(ctx.expiresAtMs === undefined ? {} : { expires_at: sec(ctx.expiresAtMs) }),
        meta_data: link === undefined ? null : { url: link, format: 'mp4' },
        error: failed
          ? { code: state.failure?.code ?? 'failed', message: state.failure?.message ?? 'failed' }
          : null,
      };
    case 'globalaiopc':
      return {
        id: ctx.id,
        object: 'video.generation',
        created: sec(ctx.createdAtMs),
        model: ctx.model,
        status: state.status === 'in_progress' ? 'processing' : state.status,
        video_url: orNull(link),
        ...(failed ? { error: { message: state.failure?.message ?? 'failed' } } : {}),
      };
    case 'gsa':
      return {
        id: ctx.id,
        object: 'video',
        model: ctx.model,
        status: state.status,
        progress,
        created_at: sec(ctx.createdAtMs),
        size: ctx.size,
        ...(failed ? { error: { message: state.failure?.message ?? '生成失败' } } : {}),
        ...(link === undefined ? {} : { video_url: link }),
      };
  }
}

/** The seed relay: pending shape while running (seed example 1), OpenAI-like when completed (example 2). */
function renderSeedRelay(
  ctx: RenderContext,
  progress: number,
  link: string | undefined,
): Record<string, unknown> {
  const { state } = ctx;
  const innerId = ctx.id.includes(':') ? ctx.id.slice(ctx.id.indexOf(':') + 1) : ctx.id;
  if (state.status === 'completed') {
    return {
      id: ctx.id,
      size: ctx.size,
      model: ctx.model,
      object: 'video',
      status: 'completed',
      seconds: ctx.seconds,
      progress: 100,
      video_url: orNull(link),
      created_at: sec(ctx.createdAtMs),
      ...(ctx.completedAtMs === undefined ? {} : { completed_at: sec(ctx.completedAtMs) }),
    };
  }
  const failed = state.status === 'failed';
  const pendingStatus = failed ? 'failed' : state.status === 'queued' ? 'queued' : 'processing';
  return {
    id: ctx.id,
    detail: {
      id: innerId,
      input: { size: 'small', model: 'sy_ore', prompt: ctx.prompt, orientation: 'portrait' },
      status: failed ? 'failed' : 'pending',
      pending_info: {
        id: innerId,
        type: 'video_gen',
        width: 352,
        height: 640,
        prompt: ctx.prompt,
        status: pendingStatus,
        n_frames: 450,
        created_at: new Date(ctx.createdAtMs).toISOString(),
        generations: [],
        progress_pct: state.status === 'queued' ? null : progress / 100,
        failure_reason: failed ? (state.failure?.message ?? 'failed') : null,
        moderation_result: {
          code: state.failure?.moderation ? 'sexual' : null,
          type: state.failure?.moderation ? 'blocked' : 'passed',
          task_id: innerId,
          is_output_rejection: false,
          results_by_frame_index: {},
        },
        progress_pos_in_queue: orNull(state.queuePosition),
        estimated_queue_wait_time: orNull(state.estimatedWaitSeconds),
      },
    },
    status: failed ? 'failed' : 'pending',
    status_update_time: ctx.now,
  };
}

/** /content before completion (docs/video-api.md#the-content-endpoint), worded as each family does. */
export function renderNotReady(dialect: Dialect, state: TaskState): { status: number; body: unknown } {
  if (dialect === 'gsa')
    return { status: 400, body: { error: { message: `任务尚未完成（当前状态: ${state.status}）` } } };
  const internal = { queued: 'QUEUED', in_progress: 'IN_PROGRESS', completed: 'SUCCESS', failed: 'FAILURE' }[
    state.status
  ];
  return {
    status: 400,
    body: {
      error: {
        message: `Task is not completed yet, current status: ${internal}`,
        type: 'invalid_request_error',
      },
    },
  };
}

/**
 * /content of a completed task whose file is still being produced: the 200 answer the relay documents
 * (test/fixtures/specs/relay-seed-000-video-content.yaml), with the status its relays show meanwhile.
 */
export function renderNoFileYet(id: string, now: number): Record<string, unknown> {
  return { id, status: 'processing', video_url: null, enhanced_prompt: '', status_update_time: now };
}

/** The three "unknown id" answers (docs/video-api.md#unknown-tasks). */
export type NotFoundStyle = 'openai' | 'new-api' | 'gsa';

export function renderNotFound(style: NotFoundStyle): { status: number; body: unknown } {
  switch (style) {
    case 'new-api':
      return { status: 400, body: { code: 'task_not_exist', message: 'task_not_exist', data: null } };
    case 'gsa':
      return { status: 404, body: { error: { message: '任务不存在' } } };
    case 'openai':
      return {
        status: 404,
        body: {
          error: {
            message: 'Video not found',
            type: 'invalid_request_error',
            param: null,
            code: 'not_found',
          },
        },
      };
  }
}
