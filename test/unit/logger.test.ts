import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/ops/logger.js';

function collector() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  const apiKey = 'sk-live-ABCDEF1234567890';
  const token = 'MTIzNDU2Nzg5.discord.token-value';

  it('redacts credentials in known fields', () => {
    const { lines, stream } = collector();
    const logger = createLogger({ level: 'info', secrets: [], destination: stream });
    logger.info(
      { headers: { authorization: `Bearer ${apiKey}` }, config: { apiKey, discordToken: token } },
      'x',
    );
    const line = lines.join('');
    expect(line).not.toContain(apiKey);
    expect(line).not.toContain(token);
    expect(line).toContain('[REDACTED]');
  });

  it('scrubs secret values wherever they appear, including error messages and stacks', () => {
    const { lines, stream } = collector();
    const logger = createLogger({ level: 'info', secrets: [apiKey, token], destination: stream });
    logger.error({ err: new Error(`upstream said: invalid key ${apiKey}`), taskId: 't1' }, `token ${token}`);
    const line = lines.join('');
    expect(line).not.toContain(apiKey);
    expect(line).not.toContain(token);
    expect(JSON.parse(line)).toMatchObject({ taskId: 't1', msg: 'token [REDACTED]' });
  });

  it('replaces interaction and webhook tokens in URLs, with or without configured secrets', () => {
    const { lines, stream } = collector();
    const logger = createLogger({ level: 'info', secrets: [], destination: stream });
    const interactionToken = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTA6c2VjcmV0';
    logger.warn(
      { where: `https://discord.com/api/v10/interactions/1234567890/${interactionToken}/callback` },
      `follow-up https://discord.com/api/webhooks/987654321/${interactionToken}/messages/@original failed`,
    );
    const line = lines.join('');
    expect(line).not.toContain(interactionToken);
    expect(line).toContain('/interactions/1234567890/[REDACTED]/callback');
    expect(line).toContain('/webhooks/987654321/[REDACTED]/messages/@original');
  });

  it('logs errors without the request body they carried, and without tokens in their url', () => {
    const { lines, stream } = collector();
    const logger = createLogger({ level: 'info', secrets: [], destination: stream });
    const error = Object.assign(new Error('Invalid Form Body'), {
      code: 50035,
      url: 'https://discord.com/api/v10/webhooks/42/tok.en-value_123/messages/%40original',
      requestBody: { files: [{ name: 'video.mp4', data: 'AAAA' }], json: { content: 'private prompt' } },
    });
    logger.error({ err: error }, 'failed');
    const logged = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
    expect(logged.err).toMatchObject({ message: 'Invalid Form Body', code: 50035 });
    expect(logged.err.url).toBe('https://discord.com/api/v10/webhooks/42/[REDACTED]/messages/%40original');
    expect(logged.err).not.toHaveProperty('requestBody');
    expect(lines.join('')).not.toContain('private prompt');
  });
});
