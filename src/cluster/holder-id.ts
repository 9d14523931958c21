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
