import { createHash } from 'node:crypto';

/** Parts of a message body that change nothing people see. */
const INVISIBLE_KEYS = new Set(['allowed_mentions', 'nonce', 'enforce_nonce']);

/**
 * A stable hash of what people see in a message body: equal for payloads that look the same, whatever
 * the key order, so an edit can be skipped when nothing visible changed. Everything but the
 * non-visible keys above counts, so a new visible part can never be missed.
 */
export function visibleHash(payload: object): string {
  const visible = Object.fromEntries(Object.entries(payload).filter(([key]) => !INVISIBLE_KEYS.has(key)));
  return createHash('sha1').update(canonicalJson(visible)).digest('hex');
}

/** JSON with object keys sorted and `undefined` members left out, as `JSON.stringify` would. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
