import { z } from 'zod';
import { ConfigError } from './config-error.js';

/** The URL settings' checks: an http(s) base in one canonical form, and credentials only over TLS. */

export const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, `expected ${what} (an http:// or https:// URL)`)
    .refine((value) => {
      const url = new URL(value);
      return url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    }, `expected ${what} without a query, a fragment or credentials`)
    // One canonical form: no trailing slash, so `${base}/videos/…` never doubles it.
    .transform((value) => value.replace(/\/+$/, ''));

/** Hosts a credential may reach over plain http: this machine only. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A key or token sent over plain http to another machine can be read on the way: refuse unless allowed. */
export function requireEncrypted(variable: string, url: string, allowInsecure: boolean): void {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:' || allowInsecure || isLoopbackHost(hostname)) return;
  throw new ConfigError(
    variable,
    `uses http:// to ${hostname}, which would send credentials unencrypted: use https://, or set ALLOW_INSECURE_HTTP=true if the network is private`,
  );
}
