/**
 * The fake's strict mode: requests held to what the relay documents require
 * (test/fixtures/specs/relay-seed-*.yaml mark `Content-Type` and `Accept: application/json` as required
 * request headers on both routes), answered the way a validating gateway such as Prism answers them.
 *
 * - API origin: a request without `Content-Type: application/json`, or whose `Accept` does not admit
 *   `application/json`, gets 422 with Prism's wording.
 * - CDN origin: a request that carries `Content-Type` or `Authorization` gets 403, as a presigned URL
 *   that did not sign them answers (SignatureDoesNotMatch).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface Refusal {
  status: number;
  body: unknown;
}

export function strictHeaderRefusal(
  server: 'api' | 'cdn',
  headers: IncomingHttpHeaders,
): Refusal | undefined {
  if (server === 'cdn') {
    const extra = ['content-type', 'authorization'].find((name) => headers[name] !== undefined);
    return extra === undefined
      ? undefined
      : {
          status: 403,
          body: {
            Code: 'SignatureDoesNotMatch',
            Message: `The request signature we calculated does not match the signature you provided (${extra} was not signed).`,
          },
        };
  }
  const problems: string[] = [];
  if (headers['content-type'] === undefined) {
    problems.push("Request header must have required property 'content-type'");
  } else if (mediaType(headers['content-type']) !== 'application/json') {
    problems.push("Request header 'content-type' must be application/json");
  }
  if (headers.accept === undefined) {
    problems.push("Request header must have required property 'accept'");
  } else if (!acceptsJson(headers.accept)) {
    problems.push("Request header 'accept' must admit application/json");
  }
  if (problems.length === 0) return undefined;
  return {
    status: 422,
    body: {
      type: 'https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY',
      title: 'Invalid request',
      status: 422,
      detail: 'Your request is not valid.',
      validation: problems.map((message) => ({
        location: ['header'],
        severity: 'Error',
        code: 'required',
        message,
      })),
    },
  };
}

function mediaType(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase();
}

/** True when `application/json` is one of the listed types with a weight above zero. */
function acceptsJson(accept: string): boolean {
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'application/json' && (q === undefined || Number(q.slice(2)) > 0);
  });
}
