// A loopback TCP relay that a test can cut and restore: the way to make a real PostgreSQL
// "go away" for one server without stopping the PostgreSQL other tests share.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Drops every relayed connection and refuses new ones. */
  cut(): void;
  /** Accepts and relays again. */
  restore(): void;
  /** Holds every byte of the open connections, both ways, until `resume` (a database that stops answering). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<port> to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let up = true;
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  const server: Server = createServer((client) => {
    if (!up) { client.destroy(); return; }
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); pairs.delete(pair); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    cut() { up = false; for (const s of sockets) s.destroy(); sockets.clear(); },
    restore() { up = true; },
    pause() { for (const [c, u] of pairs) { c.unpipe(u); u.unpipe(c); } },
    resume() { for (const [c, u] of pairs) { c.pipe(u); u.pipe(c); } },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
