// Slow clients must not hold connections: headers within a deadline, small bodies within a
// deadline, and every body at a minimum rate while the server is reading it. A rate rather than
// a total time bounds large bodies, so a registry push of gigabytes at a normal speed is never
// cut off while a trickle of one byte every few seconds is.
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestTimeouts } from '../config.ts';

/** The Fastify and Node server options that carry `t` (Node checks headers; Berth checks bodies). */
export function serverTimeoutOptions(t: RequestTimeouts): { http: ServerOptions; keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number } {
  return {
    // Node's own requestTimeout is a total deadline on every body, uploads included: off, bodies are watched below.
    requestTimeout: 0,
    keepAliveTimeout: ms(t.keepAlive),
    connectionTimeout: ms(t.idle),
    http: { headersTimeout: ms(t.headers), connectionsCheckingInterval: checkInterval(t) },
  };
}

/** The verdict on a body still arriving: go on, or end the request with 408 and why. */
export type BodyVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What is known of one body at one check. Times in milliseconds, sizes in bytes. */
export interface BodyProgress {
  readonly now: number;
  /** When the server last waited for this body with room to take more (the window restarts when it could not). */
  readonly windowStart: number;
  /** Bytes received in the current window. */
  readonly windowBytes: number;
  /** The deadline for the whole body, when it is small enough to have one. */
  readonly deadline?: number;
}

/**
 * Decides whether a body that the server is waiting for has taken too long. Pure: call it only at
 * moments when the server has room for more bytes (a server that stopped reading is not the
 * client's fault).
 */
export function judgeBody(p: BodyProgress, t: RequestTimeouts): BodyVerdict {
  if (p.deadline !== undefined && p.now > p.deadline) return { ok: false, reason: `the request body did not arrive within ${t.request} s` };
  const window = p.now - p.windowStart;
  if (window >= ms(t.body) && p.windowBytes < Math.max(1, t.bodyMinRate * t.body)) {
    return { ok: false, reason: `the request body arrived slower than ${t.bodyMinRate} bytes/s over ${t.body} s` };
  }
  return { ok: true };
}

interface Watched {
  readonly req: FastifyRequest;
  readonly raw: IncomingMessage;
  readonly res: ServerResponse;
  readonly socket: Socket;
  deadline?: number;
  windowStart: number;
  windowRead: number;
  lastCheck: number;
}

// Written on the socket itself, as Node answers its own header timeout: the request's handler may
// be anywhere in its work, and its own answer would never be read. The body has the shape of its
// API: an OCI error under /v2, a Kubernetes Status elsewhere.
const timeoutAnswer = (url: string | undefined, reason: string): string => {
  const body = JSON.stringify(url?.startsWith('/v2/')
    ? { errors: [{ code: 'UNKNOWN', message: reason }] }
    : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: reason, reason: 'Timeout', code: 408 });
  return `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

/**
 * Watches every request body on `app` until it has arrived; one that breaks `judgeBody` is
 * answered 408 (when no answer has started) and its connection closed, which fails the handler's
 * read of the body as a client abort. `bodyLimit` is the largest body Fastify buffers: bodies
 * declared at most that long also get the total deadline.
 */
export function watchBodies(app: FastifyInstance, t: RequestTimeouts, bodyLimit: number, onTimeout: (req: FastifyRequest, reason: string) => void): void {
  const watched = new Set<Watched>();
  let timer: NodeJS.Timeout | undefined;

  app.addHook('onRequest', async (req, reply) => {
    const raw = req.raw;
    if (raw.complete || (raw.headers['content-length'] === undefined && raw.headers['transfer-encoding'] === undefined)) return;
    const declared = Number(raw.headers['content-length']);
    const now = Date.now();
    watched.add({
      req, raw, res: reply.raw, socket: raw.socket, windowStart: now, windowRead: raw.socket.bytesRead, lastCheck: now,
      ...(Number.isFinite(declared) && declared <= bodyLimit ? { deadline: now + ms(t.request) } : {}),
    });
  });
  app.addHook('onReady', async () => {
    timer = setInterval(() => check(Date.now()), checkInterval(t)).unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));

  function check(now: number): void {
    for (const w of watched) {
      if (w.raw.complete || w.raw.destroyed || w.socket.destroyed) {
        watched.delete(w);
        continue;
      }
      const since = now - w.lastCheck;
      w.lastCheck = now;
      if (w.raw.readableLength >= w.raw.readableHighWaterMark) {
        // The server is not reading (a slow disk or database): the client is not to blame.
        w.windowStart = now;
        w.windowRead = w.socket.bytesRead;
        if (w.deadline !== undefined) w.deadline += since;
        continue;
      }
      const verdict = judgeBody({ now, windowStart: w.windowStart, windowBytes: w.socket.bytesRead - w.windowRead, deadline: w.deadline }, t);
      if (verdict.ok) {
        if (now - w.windowStart >= ms(t.body)) {
          w.windowStart = now;
          w.windowRead = w.socket.bytesRead;
        }
        continue;
      }
      watched.delete(w);
      onTimeout(w.req, verdict.reason);
      if (w.res.headersSent || !w.socket.writable) w.socket.destroy();
      else w.socket.end(timeoutAnswer(w.raw.url, verdict.reason), () => w.socket.destroy());
    }
  }
}

function ms(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}

// Often enough that a deadline is kept to about a tenth of the shortest bound, at most once a second.
function checkInterval(t: RequestTimeouts): number {
  return Math.min(1000, Math.max(20, Math.round(Math.min(t.headers, t.request, t.body) * 100)));
}
