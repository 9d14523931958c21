import { describe, expect, it } from 'vitest';
import { defaultTimings, runCampaign } from '../../scripts/chaos/campaign.js';
import { renderTable } from '../../scripts/chaos/report.js';

/**
 * The fault campaign of `npm run chaos`, shortened for every test run: the real bot process, 30 tasks
 * in 6 channels of 2 servers, every kind of fault once or more, two SIGKILLs with restarts on the same
 * SQLite store. Nothing may be lost, duplicated or leaked, and the bot may neither crash nor leave a
 * promise rejection unhandled.
 */
const SEED = 20_260_601;

describe('the fault campaign, short', () => {
  it(`seed ${SEED}: nothing lost, duplicated or leaked through faults and kill -9`, async () => {
    const result = await runCampaign({
      seed: SEED,
      tasks: 30,
      channels: 6,
      guilds: 2,
      kills: 2,
      ...defaultTimings(30),
      settleTimeoutMs: 30_000,
    });
    // The table in the test output shows what happened when this fails.
    console.log(renderTable(result));
    expect(result.failures).toEqual([]);

    const { figures } = result;
    expect(figures.kills).toBe(2);
    expect(figures.restarts).toBeGreaterThanOrEqual(2);
    expect(figures.crashes).toBe(0);
    expect(figures.unhandledRejections).toBe(0);
    // Most tasks were tracked and each got its result; nothing more than once.
    expect(figures.results.expected).toBeGreaterThanOrEqual(25);
    expect(figures.results.delivered).toBe(figures.results.expected);
    expect(figures.results.duplicated).toBe(0);
    expect(figures.dms.delivered).toBe(figures.dms.expected);
    expect(figures.dms.duplicated).toBe(0);
    expect(figures.progressMessages).toMatchObject({ min: 1, max: 1 });
    expect(figures.secretsInLogs + figures.secretsInDiscordPayloads + figures.keySentElsewhere).toBe(0);
    // Every kind of secret, in the logs, Discord payloads and the report.
    expect(figures.secretsByKind).toEqual({
      apiKey: 0,
      botToken: 0,
      upstreamHeader: 0,
      interactionTokens: 0,
      webhookUrls: 0,
    });
    expect(figures.secretsInReport).toBe(0);
    // Every kind of fault struck at least once (the store outage, stall and silence only run against Redis).
    const redisOnly = ['store-outage', 'lease-lost-store-stall', 'redis-unresponsive'];
    const struck = Object.entries(figures.faults).filter(
      ([kind, count]) => !redisOnly.includes(kind) && count > 0,
    );
    expect(struck).toHaveLength(18);
    // A dripping download met its deadline and was tried again (its result is among those delivered);
    // a refused key paused polling.
    expect(figures.faultsStruck?.['api-download-drip']).toBeGreaterThanOrEqual(1);
    expect(figures.faultsStruck?.['api-key-invalid']).toBeGreaterThanOrEqual(1);
    // The SHARD_COUNT change moved the tracked tasks once, and they all finished (above).
    expect(figures.faultsStruck?.['shard-count-change']).toBe(1);
    // About 80 s alone (a 25 s Discord outage is part of it); CI runs it beside other test files.
  }, 240_000);
});
