import type { VideoApiClient } from './client.js';
import { VideoApiError } from './errors.js';
import type { ShardMetrics } from '../ops/metrics.js';

/** The outcome label of a failed request: the API error's kind, or `error` for anything else. */
function failureOutcome(error: unknown): string {
  return error instanceof VideoApiError ? error.kind : 'error';
}

/**
 * A video API client that times every request into `sora_tracker_api_request_duration_seconds`, by
 * operation and outcome. Everything else is the wrapped client's.
 */
export function measureVideoApi(
  api: VideoApiClient,
  timer: ShardMetrics['apiRequestSeconds'],
): VideoApiClient {
  return {
    async getVideo(id, options) {
      const end = timer.startTimer({ operation: 'get_video' });
      try {
        const snapshot = await api.getVideo(id, options);
        end({ outcome: 'ok' });
        return snapshot;
      } catch (error) {
        end({ outcome: failureOutcome(error) });
        throw error;
      }
    },
    async downloadVideo(id, options) {
      const end = timer.startTimer({ operation: 'download' });
      try {
        const result = await api.downloadVideo(id, options);
        end({ outcome: result.kind });
        return result;
      } catch (error) {
        end({ outcome: failureOutcome(error) });
        throw error;
      }
    },
    close: () => api.close(),
  };
}
