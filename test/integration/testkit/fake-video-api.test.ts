/** The fake video API's own contract, which later suites (Discord e2e, demo, chaos, benchmarks) rely on. */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { rampSteps, startFakeVideoApi, type FakeVideoApi } from '../../../testkit/fake-video-api/index.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';

let fake: FakeVideoApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const get = async (url: string, key?: string) => {
  const response = await request(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
};

describe('fake video API', () => {
  it('moves a ramped task through its states as the clock advances', async () => {
    const clock = createManualClock();
    fake = await startFakeVideoApi({ apiKey: 'k', clock });
    fake.addTask({ id: 't', steps: rampSteps(100_000, { steps: 4 }) });
    const seen: string[] = [];
    for (let t = 0; t <= 100_000; t += 10_000) {
      const state = fake.currentState('t')!;
      seen.push(`${state.status}:${state.progress ?? '-'}`);
      await clock.advance(10_000);
    }
    expect(seen[0]).toBe('queued:-');
    expect(seen.at(-1)).toBe('completed:100');
    const progress = seen.filter((s) => s.startsWith('in_progress')).map((s) => Number(s.split(':')[1]));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('refuses a missing or wrong key with 401, and records the request', async () => {
    fake = await startFakeVideoApi({ apiKey: 'right' });
    fake.addTask({ id: 't' });
    expect((await get(`${fake.baseUrl}/videos/t`)).status).toBe(401);
    expect((await get(`${fake.baseUrl}/videos/t`, 'wrong')).status).toBe(401);
    expect((await get(`${fake.baseUrl}/videos/t`, 'right')).status).toBe(200);
    expect(fake.requests.map((r) => [r.route, r.taskId])).toEqual([
      ['status', 't'],
      ['status', 't'],
      ['status', 't'],
    ]);
  });

  it('setFault replaces earlier faults; a fault hits `times` requests, then the task answers again', async () => {
    fake = await startFakeVideoApi({ apiKey: 'k' });
    fake.addTask({ id: 't' });
    fake.addFault({ route: 'status', times: Infinity, fault: { kind: 'status', status: 500 } });
    fake.setFault({
      route: 'status',
      times: 2,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '3' } },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${fake.baseUrl}/videos/t`, 'k')).status);
    expect(statuses).toEqual([429, 429, 200]);
  });

  it('sends the poll hint header and serves verbatim bodies unchanged', async () => {
    fake = await startFakeVideoApi({ apiKey: 'k' });
    const body = '{"id":"x",  "status":"queued" ,"odd":[1,2]}';
    fake.addTask({ id: 'x', steps: [{ atMs: 0, body }], pollAfterMs: 12_000 });
    const answer = await get(`${fake.baseUrl}/videos/x`, 'k');
    expect(answer.text).toBe(body);
    expect(answer.headers['openai-poll-after-ms']).toBe('12000');
  });

  it('does not keep requests when recording is off (benchmarks), but still signals them', async () => {
    fake = await startFakeVideoApi({ apiKey: 'k', recordRequests: false });
    fake.addTask({ id: 't' });
    const seen = fake.waitForRequest((r) => r.taskId === 't');
    await get(`${fake.baseUrl}/videos/t`, 'k');
    expect((await seen).route).toBe('status');
    expect(fake.requests).toHaveLength(0);
  });
});
