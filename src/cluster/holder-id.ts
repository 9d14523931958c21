import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A lease holder's id: a random token (so that two processes never share one), then host and pid. */
export function newHolderId(): string {
  return `${randomBytes(8).toString('hex')} ${hostname()} pid ${process.pid}`;
}

/** The host and pid part of a holder id (the token stays private). */
export function describeHolder(value: string): string {
  return value.split(' ').slice(1).join(' ') || 'unknown holder';
}

/**
 * What every lease value of this holder starts with, whatever its term: the token and a dot. Lets an
 * acquisition take over a key that still holds one of its own earlier terms.
 */
export function holderPrefix(holderId: string): string {
  return `${holderId.split(' ')[0] ?? ''}.`;
}

/**
 * The lease value of one term of a holder: `<token>.<term> <host> pid <pid>`. Each acquisition gets a
 * new one, so the store can refuse the writes of an app built for an earlier term (the fence).
 */
export function termValue(holderId: string, term: number): string {
  const [token = '', ...rest] = holderId.split(' ');
  return [`${token}.${term}`, ...rest].join(' ');
}
