import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { freePort, useStack } from './harness.js';

/** This machine's addresses other than loopback (what another host on the network would connect to). */
function outwardAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && info.family === 'IPv4')
    .map((info) => info!.address);
}

/**
 * /healthz and /metrics ask for no authentication and say which hosts and pids run the shards: with the
 * defaults nobody but this machine may reach them.
 */
describe('the ops server with the default settings', () => {
  const createStack = useStack();

  it('answers on 127.0.0.1 and on no other address of the machine', async () => {
    const stack = await createStack();
    const port = await freePort();
    const app = await stack.startBot({ HTTP_PORT: String(port) });
    expect(app.opsPort).toBe(port);

    const local = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([200, 503]).toContain(local.status);

    const outward = outwardAddresses();
    if (outward.length === 0)
      console.warn('No non-loopback IPv4 address here: only the loopback answer is checked.');
    for (const address of outward) {
      await expect(fetch(`http://${address}:${port}/healthz`)).rejects.toThrow();
    }
    expect(stack.logs.join('')).toContain('"host":"127.0.0.1"');
  });
});
