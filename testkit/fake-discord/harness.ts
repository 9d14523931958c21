/** Small helpers shared by the fake's own tests. */
import type { Client } from 'discord.js';
import { afterEach } from 'vitest';
import { connectClient } from './client.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './index.js';

/**
 * Starts a fake per test and tears down everything a test opened, so a failing test leaves no port or
 * socket behind. Call at module level; use the returned `start` / `connect` inside tests.
 */
export function useFakeDiscord() {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
      const discord = await startFakeDiscord(options);
      cleanups.push(() => discord.close());
      return discord;
    },
    async connect(
      discord: FakeDiscord,
      options: Parameters<typeof connectClient>[1] = {},
    ): Promise<Client<true>> {
      const client = await connectClient(discord, options);
      cleanups.push(() => client.destroy());
      return client;
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read raw JSON answers loosely
  json: any;
}

/**
 * A request made the way a client that ignores rate-limit headers would: plain fetch, no queueing.
 * `path` is relative to `/api/v10`.
 */
export async function rawRequest(
  discord: FakeDiscord,
  method: string,
  path: string,
  options: { body?: unknown; auth?: boolean; files?: { name: string; data: Uint8Array }[] } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (options.auth !== false) headers.Authorization = `Bot ${discord.token}`;
  let body: string | FormData | undefined;
  if (options.files) {
    const form = new FormData();
    form.append('payload_json', JSON.stringify(options.body ?? {}));
    options.files.forEach((file, i) => form.append(`files[${i}]`, new Blob([file.data]), file.name));
    body = form;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${discord.apiUrl}/v10${path}`, {
    method,
    headers,
    ...(body ? { body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** Re-runs an async `probe` until it returns something truthy; fails after `timeoutMs` of real time. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | null | false>,
  description: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
