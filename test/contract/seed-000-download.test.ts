/**
 * Against the relay's own document of `GET /v1/videos/{id}/content`, served verbatim by Prism: the
 * document has no example, so Prism answers what its schema describes, `{id: "string", status:
 * "string", video_url: null, enhanced_prompt: "string", status_update_time: 0}`: a task with no file
 * yet. `npm run download` says so and exits 6, and breaks nothing in the document.
 *
 * The document is OpenAPI 3.0.1 but types `video_url` as `type: 'null'` (3.1 / JSON Schema wording).
 * Prism 5.14.2 loads and serves it as it is (checked here), so the vendored file stays unchanged.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVideoApiClient } from '../../src/video-api/client.js';
import { captureLogger, tempDirectory } from '../integration/video-api/support.js';
import { startPrism, type PrismServer } from './prism.js';
import { runCli } from './run-cli.js';

const TASK = 'video_099c5197-abfd-4e16-88ff-1e162f2a5c77';
const KEY = 'sk-contract-0123456789abcdef';

let prism: PrismServer;
let dir: Awaited<ReturnType<typeof tempDirectory>>;
beforeAll(async () => {
  prism = await startPrism('relay-seed-000-video-content.yaml');
  dir = await tempDirectory();
}, 120_000);
afterAll(async () => {
  await prism.close();
  await dir.remove();
});

function expectContentRequestsValid(): void {
  const findings = prism.findings();
  expect(findings.request).toEqual([]);
  expect(findings.response).toEqual([]);
  for (const exchange of prism.exchanges.filter((e) => e.url.endsWith('/content'))) {
    expect(exchange.status).toBe(200);
    expect(exchange.requestHeaders['content-type']).toBe('application/json');
    expect(exchange.requestHeaders.accept).toMatch(/^application\/json,/);
  }
}

describe('seed 000 (GET /v1/videos/{id}/content) served verbatim by Prism', () => {
  it('npm run download reports that there is no file yet and exits 6, writing nothing', async () => {
    const out = `${dir.path}/video.mp4`;
    const run = await runCli('download', [TASK, '--out', out], {
      SORA_API_KEY: KEY,
      SORA_BASE_URL: `${prism.origin}/v1`,
    });
    expect(run.code).toBe(6);
    expect(run.stdout.trim()).toBe(
      'No file yet: the video API has no file for this task yet (it says "string"). Try again in a minute.',
    );
    expect(run.stderr).toBe('');
    expect(await readdir(dir.path)).toEqual([]);
    // The status read comes first (for the public link); this document has only /content, so Prism has
    // no such path (404) and the command goes on to /content, as it does for any relay without it.
    expect(prism.exchanges.map((e) => `${e.method} ${e.url} ${e.status}`)).toEqual([
      `GET /v1/videos/${TASK} 404`,
      `GET /v1/videos/${TASK}/content 200`,
    ]);
    expect(prism.findings().unmatched).toEqual([`get /v1/videos/${TASK}`]);
    expectContentRequestsValid();
  }, 90_000);

  it("the bot's download reads the same answer as no file yet, with no retry and no file", async () => {
    const client = createVideoApiClient({
      baseUrl: `${prism.origin}/v1`,
      apiKey: KEY,
      logger: captureLogger().logger,
    });
    try {
      const result = await client.downloadVideo(TASK, { maxBytes: 10 * 1024 * 1024, directory: dir.path });
      expect(result).toEqual({ kind: 'not_ready', rawStatus: 'string', publicUrl: undefined });
    } finally {
      await client.close();
    }
    expect(await readdir(dir.path)).toEqual([]);
    expectContentRequestsValid();
  });
});
