/**
 * The fake Discord's request log over a long run: it keeps the last 100,000 requests, and recording a
 * request stays cheap past that (a copy of the whole log on each one made the fake the bottleneck of the
 * 50,000-task soak row, docs/performance.md#soak).
 */
import { describe, expect, it } from 'vitest';
import { createCounters } from '../../../../testkit/fake-discord/counters.js';

describe('the fake Discord request log', () => {
  it('keeps the last 100,000 requests, and 300,000 requests are recorded in well under the test timeout', () => {
    let now = 0;
    const counters = createCounters(() => now);
    const started = performance.now();
    for (let i = 0; i < 300_000; i++) {
      now += 1;
      counters.record({
        at: now,
        method: 'POST',
        route: '/channels/:channel_id/messages',
        path: `/${i}`,
        status: 200,
      });
    }
    // One copy of 100,000 entries per request past the limit: about 2·10¹⁰ copies, minutes of CPU.
    expect(performance.now() - started).toBeLessThan(3_000);
    const log = counters.log();
    expect(log).toHaveLength(100_000);
    expect(log[0]?.path).toBe('/200000');
    expect(log.at(-1)?.path).toBe('/299999');
    expect(counters.totalRequests()).toBe(300_000);
  });
});
