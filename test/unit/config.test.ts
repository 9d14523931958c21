import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadBotConfig, loadVideoApiConfig, storeUrlSecrets } from '../../src/config.js';

const minimal = {
  DISCORD_TOKEN: 'discord-token-value',
  SORA_API_KEY: 'sk-test-key',
  SORA_BASE_URL: 'https://relay.example.com/v1',
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadBotConfig(minimal);
    expect(config).toMatchObject({
      discordApiUrl: 'https://discord.com/api',
      baseUrl: 'https://relay.example.com/v1',
      storeUrl: 'sqlite://data/sora-tracker.sqlite',
      pollIntervalMs: 10_000,
      pollMaxIntervalMs: 60_000,
      httpPort: 9464,
      logLevel: 'info',
      registerCommands: false,
      taskIdleTimeoutMs: 7_200_000,
      taskMaxAgeMs: 86_400_000,
      maxTasksPerUser: 25,
      maxTasksPerGuild: 500,
    });
  });

  it('downloads into a folder of the OS temp dir, keeping at most 2 GiB between tries unless told otherwise', () => {
    expect(loadBotConfig(minimal)).toMatchObject({
      downloadDir: join(tmpdir(), 'sora-tracker'),
      downloadDirMaxBytes: 2 * 1024 ** 3,
    });
    const set = loadBotConfig({ ...minimal, DOWNLOAD_DIR: '/var/tmp/bot', DOWNLOAD_DIR_MAX_BYTES: '0' });
    expect(set).toMatchObject({ downloadDir: '/var/tmp/bot', downloadDirMaxBytes: 0 });
    const error = errorOf(() => loadBotConfig({ ...minimal, DOWNLOAD_DIR_MAX_BYTES: '2GB' }));
    expect(error.variable).toBe('DOWNLOAD_DIR_MAX_BYTES');
  });

  it('keeps ended tasks 30 days unless RETENTION_DAYS says otherwise (decimals allowed)', () => {
    expect(loadBotConfig(minimal).retentionMs).toBe(30 * 86_400_000);
    expect(loadBotConfig({ ...minimal, RETENTION_DAYS: '0.5' }).retentionMs).toBe(43_200_000);
    for (const bad of ['0', '-1', 'forever', '1e3']) {
      const error = errorOf(() => loadBotConfig({ ...minimal, RETENTION_DAYS: bad }));
      expect(error.variable).toBe('RETENTION_DAYS');
      expect(error.message.split('\n')).toHaveLength(1);
    }
  });

  it('falls back to OPENAI_API_KEY and OPENAI_BASE_URL, and drops a trailing slash', () => {
    const config = loadVideoApiConfig({
      OPENAI_API_KEY: 'sk-openai',
      OPENAI_BASE_URL: 'https://relay.example/v1/',
    });
    expect(config.apiKey).toBe('sk-openai');
    expect(config.baseUrl).toBe('https://relay.example/v1');
  });

  it('prefers the SORA_ names over the OPENAI_ fallbacks', () => {
    const config = loadVideoApiConfig({
      SORA_API_KEY: 'sk-sora',
      OPENAI_API_KEY: 'sk-openai',
      SORA_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_BASE_URL: 'https://other/v1',
    });
    expect(config).toMatchObject({ apiKey: 'sk-sora', baseUrl: 'http://127.0.0.1:9/v1' });
  });

  it('stops with one line naming a missing SORA_API_KEY', () => {
    const error = errorOf(() => loadBotConfig({ DISCORD_TOKEN: 'x' }));
    expect(error.variable).toBe('SORA_API_KEY');
    expect(error.message).toMatch(/^Configuration error: SORA_API_KEY is required/);
    expect(error.message).not.toContain('\n');
  });

  it('requires SORA_BASE_URL: one line naming it and saying what a relay URL looks like', () => {
    const { SORA_BASE_URL: _omitted, ...withoutBaseUrl } = minimal;
    for (const env of [withoutBaseUrl, { ...withoutBaseUrl, SORA_BASE_URL: ' ' }]) {
      const error = errorOf(() => loadBotConfig(env));
      expect(error.variable).toBe('SORA_BASE_URL');
      expect(error.message).toBe(
        "Configuration error: SORA_BASE_URL is required: your relay's OpenAI-format base URL, e.g. https://relay.example.com/v1 (OpenAI's own Sora API was shut down on 2026-09-24; OPENAI_BASE_URL also works)",
      );
    }
    expect(errorOf(() => loadVideoApiConfig({ SORA_API_KEY: 'k' })).variable).toBe('SORA_BASE_URL');
  });

  it('names a missing DISCORD_TOKEN', () => {
    const { DISCORD_TOKEN: _omitted, ...withoutToken } = minimal;
    expect(errorOf(() => loadBotConfig(withoutToken)).variable).toBe('DISCORD_TOKEN');
  });

  it.each([
    ['POLL_INTERVAL_MS', 'soon', /whole number/],
    ['POLL_INTERVAL_MS', '0', /greater than 0/],
    ['HTTP_PORT', '70000', /TCP port/],
    ['SORA_BASE_URL', 'ftp://relay', /http/],
    ['STORE_URL', 'postgres://db', /sqlite:\/\//],
    ['LOG_LEVEL', 'loud', /one of/],
    ['REGISTER_COMMANDS', 'maybe', /true or false/],
  ])('rejects %s=%s with what it expects', (variable, value, expectation) => {
    const error = errorOf(() => loadBotConfig({ ...minimal, [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(expectation);
    expect(error.message.startsWith(`Configuration error: ${variable} `)).toBe(true);
  });

  it.each([
    ['SORA_BASE_URL', 'https://relay.example.com/v1?key=abc'],
    ['SORA_BASE_URL', 'https://relay.example.com/v1#videos'],
    ['SORA_BASE_URL', 'https://user:pass@relay.example.com/v1'],
  ])('refuses %s=%s: a base URL has no query, fragment or credentials', (variable, value) => {
    const error = errorOf(() => loadBotConfig({ ...minimal, [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(/without a query, a fragment or credentials/);
    expect(error.message).not.toContain('pass');
  });

  it('refuses plain http:// to another machine, which would carry the key or token in clear', () => {
    for (const [variable, value] of [
      ['SORA_BASE_URL', 'http://relay.example.com/v1'],
      ['DISCORD_API_URL', 'http://discord-proxy.internal/api'],
    ] as const) {
      const error = errorOf(() => loadBotConfig({ ...minimal, [variable]: value }));
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(/unencrypted.*ALLOW_INSECURE_HTTP=true/);
    }
    expect(
      errorOf(() => loadVideoApiConfig({ SORA_API_KEY: 'k', SORA_BASE_URL: 'http://10.0.0.5/v1' })).variable,
    ).toBe('SORA_BASE_URL');
  });

  it('allows plain http:// to this machine, or anywhere when ALLOW_INSECURE_HTTP=true', () => {
    for (const base of ['http://127.0.0.1:3000/v1', 'http://localhost:3000/v1', 'http://[::1]:3000/v1']) {
      expect(loadBotConfig({ ...minimal, SORA_BASE_URL: base }).baseUrl).toBe(base);
    }
    const allowed = loadBotConfig({
      ...minimal,
      SORA_BASE_URL: 'http://relay.lan:3000/v1',
      DISCORD_API_URL: 'http://proxy.lan/api',
      ALLOW_INSECURE_HTTP: 'true',
    });
    expect(allowed).toMatchObject({
      baseUrl: 'http://relay.lan:3000/v1',
      discordApiUrl: 'http://proxy.lan/api',
    });
  });

  it('serves /healthz and /metrics on loopback unless HTTP_HOST says otherwise', () => {
    expect(loadBotConfig(minimal).httpHost).toBe('127.0.0.1');
    expect(loadBotConfig({ ...minimal, HTTP_HOST: '0.0.0.0' }).httpHost).toBe('0.0.0.0');
  });

  it('refuses a maximum poll interval below the minimum', () => {
    const error = errorOf(() =>
      loadBotConfig({ ...minimal, POLL_INTERVAL_MS: '5000', POLL_MAX_INTERVAL_MS: '1000' }),
    );
    expect(error.variable).toBe('POLL_MAX_INTERVAL_MS');
  });

  it('treats empty values as unset', () => {
    expect(loadBotConfig({ ...minimal, HTTP_PORT: '', STORE_URL: ' ' }).httpPort).toBe(9464);
  });

  it('never echoes a secret in its error', () => {
    const error = errorOf(() =>
      loadBotConfig({ ...minimal, SORA_API_KEY: 'sk-secret-value', HTTP_PORT: 'x' }),
    );
    expect(error.message).not.toContain('sk-secret-value');
  });

  describe('sharding', () => {
    it('runs one shard, 0 of 1, in the unsharded namespace when nothing is set', () => {
      expect(loadBotConfig(minimal)).toMatchObject({
        shardCount: 1,
        shardIds: [0],
        shardLeaseMs: 30_000,
        storeNamespace: 'sora-tracker',
      });
    });

    it('runs every shard of SHARD_COUNT by default, or those of SHARD_IDS, sorted and once each', () => {
      expect(loadBotConfig({ ...minimal, SHARD_COUNT: '3' }).shardIds).toEqual([0, 1, 2]);
      expect(loadBotConfig({ ...minimal, SHARD_COUNT: '4', SHARD_IDS: ' 3, 1 ,3' }).shardIds).toEqual([1, 3]);
    });

    it('refuses a shard id that is not below SHARD_COUNT, in one line naming SHARD_IDS', () => {
      const error = errorOf(() => loadBotConfig({ ...minimal, SHARD_COUNT: '2', SHARD_IDS: '0,2' }));
      expect(error.variable).toBe('SHARD_IDS');
      expect(error.message).toBe(
        'Configuration error: SHARD_IDS expected shard ids below SHARD_COUNT (2); 2 is not',
      );
    });

    it('refuses malformed values, naming the variable', () => {
      expect(errorOf(() => loadBotConfig({ ...minimal, SHARD_COUNT: '0' })).variable).toBe('SHARD_COUNT');
      expect(errorOf(() => loadBotConfig({ ...minimal, SHARD_COUNT: 'two' })).variable).toBe('SHARD_COUNT');
      expect(errorOf(() => loadBotConfig({ ...minimal, SHARD_IDS: '0;1' })).message).toMatch(
        /^Configuration error: SHARD_IDS expected a comma-separated list of shard ids/,
      );
      expect(errorOf(() => loadBotConfig({ ...minimal, SHARD_LEASE_MS: '500' })).variable).toBe(
        'SHARD_LEASE_MS',
      );
      expect(errorOf(() => loadBotConfig({ ...minimal, STORE_NAMESPACE: 'a b' })).variable).toBe(
        'STORE_NAMESPACE',
      );
    });

    it('under a ShardingManager takes its SHARDS and SHARD_COUNT, and serves ops on HTTP_PORT + shard id', () => {
      // discord.js's Shard passes its whole environment on: the manager's own SHARD_IDS must not count.
      const child = {
        ...minimal,
        SHARD_IDS: '0,1,2',
        SHARDING_MANAGER: 'true',
        SHARDS: '2',
        SHARD_COUNT: '3',
        HTTP_PORT: '9464',
      };
      expect(loadBotConfig(child)).toMatchObject({ shardIds: [2], shardCount: 3, httpPort: 9466 });
      expect(loadBotConfig({ ...child, HTTP_PORT: '0' }).httpPort).toBe(0);
      expect(loadBotConfig({ ...minimal, SHARD_COUNT: '3', SHARD_IDS: '2' }).httpPort).toBe(9464);
      expect(errorOf(() => loadBotConfig({ ...child, SHARDS: '5' })).variable).toBe('SHARDS');
    });

    it('finds the password of a Redis URL, to keep it out of the logs', () => {
      expect(storeUrlSecrets('redis://:s3cr%2Ft@127.0.0.1:6379/0')).toEqual(['s3cr%2Ft', 's3cr/t']);
      expect(storeUrlSecrets('redis://user:pw@host:6379')).toEqual(['pw']);
      expect(storeUrlSecrets('redis://127.0.0.1:6379')).toEqual([]);
      expect(storeUrlSecrets('sqlite://data/x.sqlite')).toEqual([]);
    });
  });
});
