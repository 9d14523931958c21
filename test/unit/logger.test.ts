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
});
