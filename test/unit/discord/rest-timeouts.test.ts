import { describe, expect, it } from 'vitest';
import { REST_TIMEOUT_MS, sizedRestTimeouts, uploadTimeoutMs } from '../../../src/discord/rest-timeouts.js';

const MiB = 1024 * 1024;

describe('REST timeouts sized by the upload', () => {
  it('gives an upload 1 s per MiB plus 30 s, never less than the base', () => {
    expect(uploadTimeoutMs(10 * MiB)).toBe(REST_TIMEOUT_MS);
    expect(uploadTimeoutMs(25 * MiB)).toBe(REST_TIMEOUT_MS);
    expect(uploadTimeoutMs(100 * MiB)).toBe(130_000);
    expect(uploadTimeoutMs(2 * MiB, 500)).toBe(32_000);
  });

  it("sets the manager's own timer to the largest upload's, as a ceiling", () => {
    expect(sizedRestTimeouts().timeout).toBe(130_000);
  });
});
