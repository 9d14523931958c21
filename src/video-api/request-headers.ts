/**
 * The headers of one GET, by who receives it.
 *
 * The relay documents we serve in the contract tests (test/fixtures/specs/relay-seed-*.yaml) mark
 * `Content-Type: application/json` and `Accept: application/json` as required request headers on
 * `GET /v1/videos/{id}` and `GET /v1/videos/{id}/content` alike, and a gateway that enforces its own
 * document answers 422 without them. So every request to the API's own origin carries both.
 *
 * Any other host (a relay's CDN link, a presigned S3/OSS URL) gets neither: a presigned URL may sign
 * `Content-Type`, and a wrong one there answers 403
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
 */

/** For a task status: JSON only. */
export const ACCEPT_JSON = 'application/json';

/**
 * For `/content`: JSON first, since the seed relays answer JSON (a link, or "no file yet"), but still
 * admitting the bytes that official-shape APIs stream.
 */
export const ACCEPT_VIDEO_OR_JSON =
  'application/json, video/mp4;q=0.9, application/octet-stream;q=0.8, */*;q=0.1';

export const USER_AGENT = 'sora-tracker';

export interface HeaderContext {
  /** `scheme://host:port` of the API: the only origin that gets the key and the JSON headers. */
  apiOrigin: string;
  apiKey: string;
}

export function requestHeaders(ctx: HeaderContext, url: URL, accept: string): Record<string, string> {
  if (url.origin !== ctx.apiOrigin) return { 'user-agent': USER_AGENT };
  return {
    accept,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    authorization: `Bearer ${ctx.apiKey}`,
  };
}
