/**
 * Against OpenAI's published Videos document (OpenAPI 3.1), served verbatim by Prism. It has no examples
 * for these operations, so Prism answers what the schemas describe: `status: "queued"`, `progress: 0`,
 * `"string"` in every text field (model, prompt, the error's code and message), 0 for every timestamp;
 * `/content` gives JSON `"string"` to an Accept that puts JSON first. Each must read clearly: no crash,
 * no placeholder text passed off as a message, and no request the document does not allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVideoApiClient } from '../../src/video-api/client.js';
import { embedText, useStack } from '../e2e/harness.js';
import { captureLogger, tempDirectory } from '../integration/video-api/support.js';
import { startPrism, type PrismServer } from './prism.js';
import { runCli } from './run-cli.js';

const TASK = 'video_123';
const KEY = 'sk-contract-0123456789abcdef';

let prism: PrismServer;
let dir: Awaited<ReturnType<typeof tempDirectory>>;
beforeAll(async () => {
  prism = await startPrism('openai-videos.yaml');
  dir = await tempDirectory();
}, 120_000);
afterAll(async () => {
  await prism.close();
  await dir.remove();
});

function expectNothingBroken(): void {
  expect(prism.findings()).toEqual({ request: [], response: [], unmatched: [] });
  for (const exchange of prism.exchanges) {
    expect(exchange.status).toBe(200);
    expect(exchange.requestHeaders['content-type']).toBe('application/json');
    expect(exchange.requestHeaders.authorization).toBe(`Bearer ${KEY}`);
  }
}

describe("OpenAI's Videos document served verbatim by Prism", () => {
  // The document's paths start at /videos: its server URL (…/v1) is the base.
  const env = () => ({ SORA_API_KEY: KEY, SORA_BASE_URL: prism.origin });

  it('npm run status reads the made-up answer as queued at 0 % and exits 6', async () => {
    const run = await runCli('status', [TASK], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/^Task:\s+video_123$/m);
    expect(run.stdout).toMatch(/^Status:\s+queued$/m);
    expect(run.stdout).toMatch(/^Progress:\s+0%$/m);
    // A placeholder error beside a queued status is no failure; timestamps of 0 are no dates.
    expect(run.stdout).not.toMatch(/Failure|Created|Completed|Expires|1970/);
    expectNothingBroken();
  }, 90_000);

  it('npm run download says the task is still queued, exits 6 and asks /content nothing', async () => {
    const before = prism.exchanges.length;
    const run = await runCli('download', [TASK, '--out', `${dir.path}/v.mp4`], env());
    expect(run.code).toBe(6);
    expect(run.stdout.trim()).toBe(
      'No file yet: the task is still queued, 0%. Try again once it has completed.',
    );
    expect(prism.exchanges.slice(before).map((e) => e.url)).toEqual([`/videos/${TASK}`]);
    expectNothingBroken();
  }, 90_000);

  it('/content answering the JSON string "string" is a clear error, not a quote of it', async () => {
    const client = createVideoApiClient({
      baseUrl: prism.origin,
      apiKey: KEY,
      logger: captureLogger().logger,
    });
    try {
      await expect(
        client.downloadVideo(TASK, { maxBytes: 1024 * 1024, directory: dir.path }),
      ).rejects.toMatchObject({
        kind: 'bad_request',
        message: 'The video API answered with JSON that holds neither a video link nor a status.',
      });
    } finally {
      await client.close();
    }
    const content = prism.exchanges.at(-1)!;
    expect(content.url).toBe(`/videos/${TASK}/content`);
    expect(String(content.requestHeaders.accept).split(',')[0]).toBe('application/json');
    expectNothingBroken();
  });

  describe('the bot', () => {
    const createStack = useStack();

    it('tracks the task and shows it queued at 0 %, with the made-up text only where the API put it', async () => {
      const stack = await createStack();
      stack.env.SORA_API_KEY = KEY;
      await stack.startBot({ SORA_BASE_URL: prism.origin });
      await stack.sora('track', { id: TASK }).waitForOriginal((m) => m.current.content.includes('Tracking'));
      const shown = embedText(stack.progressMessages()[0]!);
      expect(shown).toMatch(/Queued/);
      expect(shown).toContain('0%');
      expect(shown).not.toMatch(/Reason|Failed/);
      await stack.stopBot();
      expectNothingBroken();
    }, 90_000);
  });
});
