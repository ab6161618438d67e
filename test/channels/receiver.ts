import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (null: not answered). */
  status: number | null;
}

/**
 * What the receiver does with the next request: answer (at once, after a delay, or once `until`
 * settles), hang, or stream without end.
 */
export type Behaviour =
  | {
      status: number;
      body?: string;
      headers?: Record<string, string>;
      delayMs?: number;
      until?: Promise<unknown>;
    }
  | { hang: true }
  | { status: number; endless: true };

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers each
 * with the next queued behaviour (200 when none is queued).
 */
export async function startReceiver() {
  const received: Received[] = [];
  const queue: Behaviour[] = [];
  const arrivals: { count: number; resolve: () => void }[] = [];
  let bytesStreamed = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = queue.shift() ?? { status: 200 };
      const got: Received = {
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 'status' in b && !('endless' in b) ? b.status : null,
      };
      received.push(got);
      for (const w of [...arrivals])
        if (received.length >= w.count) {
          arrivals.splice(arrivals.indexOf(w), 1);
          w.resolve();
        }
      if ('hang' in b) return;
      if ('endless' in b) {
        res.writeHead(b.status, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) bytesStreamed += chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      const answer = () => {
        res.writeHead(b.status, b.headers ?? {});
        res.end(b.body ?? '');
      };
      if (b.until) void b.until.then(answer, answer);
      else if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    next(...b: Behaviour[]) {
      queue.push(...b);
    },
    /** Resolves once `count` requests in all have arrived (answered or not). */
    arrived(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => arrivals.push({ count, resolve }));
    },
    get bytesStreamed() {
      return bytesStreamed;
    },
    /** Stops listening (connections are refused) until `accept()`, on the same port. */
    refuse() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
    accept() {
      return new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    },
    get openConnections() {
      return sockets.size;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** What a receiver does to check a delivery: HMAC over "t.body", constant-time compare. */
export function verifySignature(secret: string, header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}
