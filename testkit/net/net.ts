/**
 * Small network helpers: a free port on 127.0.0.1, and a TCP relay in front of a real server (Redis)
 * that can be cut and restored on the same port, so an outage never stops the server itself (other
 * tests use it at the same time).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export interface TcpRelay {
  readonly port: number;
  /** Closes every connection and stops listening: clients see the server gone. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /**
   * Stops forwarding bytes, both ways, without closing anything: a stalled network. Bytes sent
   * meanwhile are held, and a side that hangs up meanwhile is hung up on the other only after them.
   */
  pause(): void;
  /**
   * Forwards what was held, in order, and forwards again. Resolves once the server has closed each
   * connection whose client hung up during the pause, so it has read every byte that client sent.
   */
  resume(): Promise<void>;
  /** The bytes held on their way to the server (while paused). */
  held(): Buffer;
  close(): Promise<void>;
}

/** One client connection and its upstream, with what a pause holds back on each way. */
interface Link {
  client: Socket;
  upstream: Socket;
  toServer: Buffer[];
  toClient: Buffer[];
  /** A side that closed while paused: the other is ended once the held bytes are through. */
  clientGone: boolean;
  upstreamGone: boolean;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const port = await freePort();
  const links = new Set<Link>();
  let server: Server | undefined;
  let paused = false;

  function relay(client: Socket): void {
    const upstream = connect(target.port, target.host);
    const link: Link = {
      client,
      upstream,
      toServer: [],
      toClient: [],
      clientGone: false,
      upstreamGone: false,
    };
    links.add(link);
    const wire = (from: Socket, to: Socket, held: Buffer[], gone: 'clientGone' | 'upstreamGone') => {
      from.on('error', () => undefined);
      from.on('data', (chunk: Buffer) => {
        if (paused) held.push(chunk);
        else to.write(chunk);
      });
      from.on('close', () => {
        if (paused) {
          link[gone] = true;
          return;
        }
        links.delete(link);
        to.destroy();
      });
    };
    wire(client, upstream, link.toServer, 'clientGone');
    wire(upstream, client, link.toClient, 'upstreamGone');
  }

  async function listen(): Promise<void> {
    const next = createServer(relay);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', resolve);
    });
    server = next;
  }

  async function cut(): Promise<void> {
    const current = server;
    server = undefined;
    for (const link of links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    links.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  }

  /** Sends what was held on one link; resolves once its server side has closed, if its client left. */
  function flush(link: Link): Promise<void> {
    const { client, upstream } = link;
    for (const chunk of link.toServer.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    for (const chunk of link.toClient.splice(0)) if (!client.destroyed) client.write(chunk);
    if (link.upstreamGone) {
      links.delete(link);
      client.end();
    }
    if (!link.clientGone || link.upstreamGone) return Promise.resolve();
    links.delete(link);
    return new Promise<void>((resolve) => {
      upstream.once('close', () => resolve());
      upstream.end();
    });
  }

  await listen();
  return {
    port,
    cut,
    async restore() {
      if (!server) await listen();
    },
    pause() {
      paused = true;
    },
    async resume() {
      paused = false;
      await Promise.all([...links].map(flush));
    },
    held: () => Buffer.concat([...links].flatMap((link) => link.toServer)),
    close: cut,
  };
}
