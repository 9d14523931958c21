/**
 * The fake video API as a standalone server, for demos, manual checks of `npm run status/watch` and
 * benchmarks:
 *
 *   npx tsx testkit/fake-video-api/main.ts
 *
 * It prints its base URL and the tasks it serves. Environment (all optional):
 *   FAKE_API_KEY       the key it accepts (default sk-fake-demo-key)
 *   FAKE_API_PORT      port of the API (default: any free port)
 *   FAKE_TASK_SECONDS  how long each demo task takes from queued to done (default 60)
 *   FAKE_VIDEO_BYTES   size of each demo MP4 (default 2 MiB)
 *   FAKE_BULK_TASKS    also serve N tasks `bulk-0` … `bulk-<N-1>` (seed-relay dialect, staggered ends)
 * Demo tasks restart their timeline when the server starts. Stop it with Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { DIALECTS, rampSteps, startFakeVideoApi } from './index.js';

const env = process.env;
const apiKey = env.FAKE_API_KEY ?? 'sk-fake-demo-key';
const durationMs = Number(env.FAKE_TASK_SECONDS ?? 60) * 1000;
const videoBytes = Number(env.FAKE_VIDEO_BYTES ?? 2 * 1024 * 1024);
const bulk = Number(env.FAKE_BULK_TASKS ?? 0);

const fake = await startFakeVideoApi({
  apiKey,
  port: Number(env.FAKE_API_PORT ?? 0),
  recordRequests: false,
});

const ids: string[] = [];
for (const dialect of DIALECTS) {
  const id = `demo-${dialect}`;
  fake.addTask({
    id,
    dialect,
    steps: rampSteps(durationMs),
    video: { bytes: videoBytes },
    expiresAfterMs: 60 * 60_000,
  });
  ids.push(id);
}
// Files that are ready at once: a tiny one for smoke checks, a 16 MiB one to warm up before measuring.
fake.addTask({ id: 'demo-tiny', steps: [{ atMs: 0, status: 'completed' }], video: { bytes: 64 * 1024 } });
fake.addTask({
  id: 'demo-medium',
  steps: [{ atMs: 0, status: 'completed' }],
  video: { bytes: 16 * 1024 * 1024 },
});
ids.push('demo-tiny', 'demo-medium');
fake.addTask({
  id: 'demo-moderated',
  dialect: 'openai',
  steps: rampSteps(durationMs / 2, {
    end: 'failed',
    failure: {
      code: 'moderation_blocked',
      message: 'Your request was blocked by our moderation system.',
      moderation: true,
    },
  }),
});
ids.push('demo-moderated');

const seed = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/seeds/${name}`, import.meta.url), 'utf8');
fake.addTask({
  id: 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60',
  steps: [{ atMs: 0, body: seed('get-video-pending.json') }],
});
fake.addTask({
  id: 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980',
  steps: [{ atMs: 0, body: seed('get-video-completed.json') }],
  video: { bytes: videoBytes },
});
ids.push('sora-2:task_01k6x15vhrff09dkkqjrzwhm60', 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980');

for (let i = 0; i < bulk; i++) {
  // Staggered so that a benchmark sees tasks finishing all along, not all at once.
  fake.addTask({
    id: `bulk-${i}`,
    dialect: 'seed-relay',
    steps: rampSteps(durationMs + (i % 60) * 1000),
    video: { bytes: 64 * 1024 },
  });
}

console.log(`Fake video API listening: SORA_BASE_URL=${fake.baseUrl} SORA_API_KEY=${apiKey}`);
console.log(
  `Public links are served from ${fake.cdnOrigin} (on 127.0.0.1: set ALLOW_PRIVATE_VIDEO_URLS=true)`,
);
console.log(`Tasks (each takes ${durationMs / 1000} s from now):`);
for (const id of ids) console.log(`  ${id}`);
if (bulk > 0) console.log(`  bulk-0 … bulk-${bulk - 1}`);
console.log(
  `Try: SORA_BASE_URL=${fake.baseUrl} SORA_API_KEY=${apiKey} ALLOW_PRIVATE_VIDEO_URLS=true npm run watch -- demo-seed-relay`,
);

const shutdown = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
