import { describe, expect, it } from 'vitest';
import { ConfigError, loadBotConfig, loadVideoApiConfig } from '../../src/config.js';

const minimal = { DISCORD_TOKEN: 'discord-token-value', SORA_API_KEY: 'sk-test-key' };

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
      baseUrl: 'https://api.openai.com/v1',
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

  it('names a missing DISCORD_TOKEN', () => {
    expect(errorOf(() => loadBotConfig({ SORA_API_KEY: 'k' })).variable).toBe('DISCORD_TOKEN');
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
});
