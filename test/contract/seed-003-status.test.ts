/**
 * Against the relay's own document of `GET /v1/videos/{id}`, served verbatim by Prism: `npm run status`
 * and the bot's poller make only requests the document allows, and read its example as it means.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText, useStack } from '../e2e/harness.js';
import { findingsOf, startPrism, type PrismServer } from './prism.js';
import { runCli } from './run-cli.js';

const TASK = 'sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm';
const KEY = 'sk-contract-0123456789abcdef';

/**
 * The document disagrees with itself: its example "1" (the pending task Prism serves) lacks
 * `video_url` and `enhanced_prompt`, which its own schema marks required. Prism reports that on every
 * answer; it says nothing about our requests, and nothing else may appear.
 */
const THE_DOCUMENTS_OWN_EXAMPLE = [
  "Response body must have required property 'video_url'",
  "Response body must have required property 'enhanced_prompt'",
];

let prism: PrismServer;
beforeAll(async () => {
  prism = await startPrism('relay-seed-003-video-status.yaml');
}, 120_000);
afterAll(async () => {
  await prism.close();
});

function expectNoRequestViolations(): void {
  const findings = prism.findings();
  expect(findings.request).toEqual([]);
  expect(findings.unmatched).toEqual([]);
  expect(new Set(findings.response)).toEqual(new Set(THE_DOCUMENTS_OWN_EXAMPLE));
  for (const exchange of prism.exchanges) {
    expect(exchange.status).toBe(200);
    expect(exchange.requestHeaders['content-type']).toBe('application/json');
    expect(exchange.requestHeaders.accept).toBe('application/json');
    expect(exchange.requestHeaders.authorization).toBe(`Bearer ${KEY}`);
  }
}

describe('seed 003 (GET /v1/videos/{id}) served verbatim by Prism', () => {
  it('npm run status shows the example’s 93 % and exits 6 (still running)', async () => {
    const run = await runCli('status', [TASK], { SORA_API_KEY: KEY, SORA_BASE_URL: `${prism.origin}/v1` });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/^Status:\s+in_progress \(processing\)$/m);
    expect(run.stdout).toMatch(/^Progress:\s+93%$/m);
    expect(run.stdout).toMatch(/^Size:\s+352x640$/m);
    expect(prism.exchanges.map((e) => `${e.method} ${e.url}`)).toEqual([`GET /v1/videos/${TASK}`]);
    expectNoRequestViolations();
  }, 90_000);

  describe('the bot', () => {
    const createStack = useStack();

    it('tracks the task: its progress message shows 93 % and its polls break nothing', async () => {
      const stack = await createStack();
      stack.env.SORA_API_KEY = KEY;
      await stack.startBot({ SORA_BASE_URL: `${prism.origin}/v1` });
      const before = prism.exchanges.length;
      await stack.sora('track', { id: TASK }).waitForOriginal((m) => m.current.content.includes('Tracking'));
      const progress = stack.progressMessages()[0]!;
      expect(embedText(progress)).toMatch(/In progress/);
      expect(embedText(progress)).toContain('93%');
      expect(embedText(progress)).toContain('API status: processing');
      // The track's read, then the poller's own reads of the same task.
      await stack.discord.waitFor(() => prism.exchanges.length >= before + 3, {
        description: 'the poller to read the task twice more',
        timeoutMs: 20_000,
      });
      await stack.stopBot();
      expectNoRequestViolations();
      expect(stack.logs.join('')).not.toMatch(/"level":(50|60)/);
    }, 90_000);
  });

  // Last, since it breaks the document on purpose: the check above would see a dropped header.
  it('a request without Content-Type is refused, and shows in both the log and sl-violations', async () => {
    const answer = await request(`${prism.origin}/v1/videos/${TASK}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${KEY}` },
    });
    const problem = (await answer.body.json()) as { validation: Array<{ message: string }> };
    expect(answer.statusCode).toBe(422);
    const missing = "Request header must have required property 'content-type'";
    expect(problem.validation.map((v) => v.message)).toEqual([missing]);
    expect(prism.findings().request).toContain(missing);
    expect(findingsOf(prism.log(), []).request).toContain(missing);
  });
});
