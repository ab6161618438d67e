import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { openSession } from '../../server/domain/auth/sessions.ts';
import { MAX_ATTACHMENT_BYTES } from '../../server/domain/reports/inputs.ts';
import { createHttpServer, stopListening } from '../../server/http/server.ts';
import {
  MAX_CONCURRENT_UPLOADS,
  mountSite,
  PAGE_BODY_LIMITS,
} from '../../server/web/mount-site.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUser } from '../helpers/site.ts';

// What a report post costs Herald is what it reads off the socket: a body it never reads it
// cannot hold. These tests count those bytes on the server's own sockets (Node's
// `socket.bytesRead`), with clients that send a body only as fast as the server takes it in, so
// the number of bytes a client had sent when its answer came is what the route asked for.

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A report form as a browser sends it: the form token first, the answers, one attachment. */
function reportBody(csrf: string, attachmentBytes: number) {
  const boundary = `----herald${Math.random().toString(36).slice(2)}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('_csrf', csrf) +
      field('kind', 'broken') +
      field('priority', '1') +
      field('whatHappened', 'Checkout fails') +
      `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="shot.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const file = Buffer.alloc(attachmentBytes, 0x41);
  file.set(PNG);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    body: Buffer.concat([head, file, tail]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Herald as main.ts serves it, keeping each accepted socket so a test can read its bytes. */
async function serve(t: TestContext) {
  const app = createApp(t.deps);
  await mountSite(app, t.deps);
  const server = createHttpServer(app, t.deps);
  const sockets = new Map<number, Socket>();
  server.on('connection', (s: Socket) => sockets.set(s.remotePort!, s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    /** The server's end of the connection whose client end is on local port `clientPort`. */
    socketOf: (clientPort: number) => sockets.get(clientPort),
    close: () => stopListening(server, 0),
  };
}
type Served = Awaited<ReturnType<typeof serve>>;

interface Post {
  /** Resolves once the client end is connected, with the server's end of it. */
  connected: Promise<Socket>;
  /** The status, once it came. */
  answered: Promise<{ status: number; retryAfter: string | undefined }>;
  /** Body bytes sent so far, of `length`. */
  sent(): number;
  length: number;
  /**
   * Sends the body on, in lockstep, until `upTo` bytes are in, the answer came or the server
   * closed the connection.
   */
  sendUntil(upTo: number): Promise<void>;
  /** Whether the answer came. */
  isAnswered(): boolean;
  close(): void;
}

/**
 * A POST whose headers go at once and whose `body` goes only when the test sends it on, one
 * chunk at a time, each after the server has read the one before off its socket (or answered):
 * the kernel's buffers never run ahead of the server.
 */
function startPost(
  site: Served,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
  chunk = 16 * 1024,
): Post {
  const req = http.request(new URL(path, site.base), {
    method: 'POST',
    headers: { origin: site.base, ...headers },
    agent: false,
  });
  let status: number | null = null;
  let sent = 0;
  const answered = new Promise<{ status: number; retryAfter: string | undefined }>(
    (resolve, reject) => {
      req.on('response', (res) => {
        status = res.statusCode!;
        resolve({ status, retryAfter: res.headers['retry-after'] as string | undefined });
        res.resume();
        res.on('error', () => {});
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Once answered, the server may close the connection under a body still going out.
        if (status === null) reject(err);
      });
    },
  );
  const connected = new Promise<Socket>((resolve) => {
    req.on('socket', (s) =>
      s.on('connect', async () => {
        let server = site.socketOf(s.localPort!);
        while (!server) {
          await turn();
          server = site.socketOf(s.localPort!);
        }
        resolve(server);
      }),
    );
  });
  req.flushHeaders();
  return {
    connected,
    answered,
    sent: () => sent,
    length: body.length,
    isAnswered: () => status !== null,
    async sendUntil(upTo) {
      const server = await connected;
      while (sent < Math.min(upTo, body.length) && status === null && !server.destroyed) {
        const next = body.subarray(sent, Math.min(sent + chunk, upTo, body.length));
        const want = server.bytesRead + next.length;
        req.write(next);
        sent += next.length;
        // The next chunk only once this one is off the socket on the server's side, or the
        // server answered (and may never read it).
        while (server.bytesRead < want && status === null && !server.destroyed) await turn();
      }
      if (sent === body.length && status === null) req.end();
    },
    close: () => req.destroy(),
  };
}

/** The form cookie and token a visitor gets from the page, as an attacker would fetch them. */
async function formToken(base: string, path: string, cookie = '') {
  const res = await fetch(`${base}${path}`, { headers: { cookie } });
  const html = await res.text();
  const set = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return {
    cookie: [cookie, set].filter(Boolean).join('; '),
    csrf: /name="_csrf" value="([^"]*)"/.exec(html)![1]!,
  };
}

describe('report uploads: Herald reads no more of a report body than its limit', () => {
  let t: TestContext;
  let site: Served;
  let anon: { cookie: string; csrf: string };
  let signedIn: { cookie: string; csrf: string };
  beforeAll(async () => {
    t = await createTestContext();
    site = await serve(t);
    const user = await makeUser(t, 'admin');
    const { token } = await openSession(t.deps, user.id);
    anon = await formToken(site.base, '/report');
    signedIn = await formToken(site.base, '/report', `herald_session=${token}`);
  });
  afterAll(async () => {
    await site?.close();
    await t?.close();
  });

  // A body just under the upload limit whose attachment alone is over its 5 MB.
  const size = PAGE_BODY_LIMITS.report - 4096;
  const oversize = (csrf: string) => reportBody(csrf, size - 1024);

  it('40 concurrent anonymous 6 MB report posts are each answered 413 from the declared size, before a byte of their bodies is sent', async () => {
    const one = oversize(anon.csrf);
    expect(one.body.length).toBeGreaterThan(PAGE_BODY_LIMITS.public);
    const posts = Array.from({ length: 40 }, (_, i) =>
      startPost(site, i % 2 ? '/report' : '/report/not-a-link', one.body, {
        'content-type': one.type,
        'content-length': String(one.body.length),
        cookie: anon.cookie,
      }),
    );
    const servers = await Promise.all(posts.map((p) => p.connected));
    const answers = await Promise.all(posts.map((p) => p.answered));
    expect(answers.map((a) => a.status)).toEqual(posts.map(() => 413));
    // Not one body byte had gone out: what the server read of each was its request head.
    expect(posts.map((p) => p.sent())).toEqual(posts.map(() => 0));
    const heads = servers.map((s) => s.bytesRead);
    expect(Math.max(...heads)).toBeLessThan(2048);
    for (const p of posts) p.close();
  });

  it('an anonymous report streamed without a declared length is answered 413 as soon as it passes the 16 KB form limit', async () => {
    const one = oversize(anon.csrf);
    const chunk = 4096;
    const post = startPost(
      site,
      '/report',
      one.body,
      { 'content-type': one.type, 'transfer-encoding': 'chunked', cookie: anon.cookie },
      chunk,
    );
    // Two chunks past the limit, each read by the server before the next went; then the client
    // waits, as a polite one does, and the answer comes with 6 MB still unsent.
    await post.sendUntil(PAGE_BODY_LIMITS.public + 2 * chunk);
    expect((await post.answered).status).toBe(413);
    expect(post.sent()).toBeGreaterThan(PAGE_BODY_LIMITS.public);
    expect(post.sent()).toBeLessThan(one.body.length / 100);
    expect((await post.connected).bytesRead).toBeLessThan(PAGE_BODY_LIMITS.public + 4 * chunk);
    post.close();
  });

  it(`signed-in uploads stream in ${MAX_CONCURRENT_UPLOADS} at a time: one more is answered 503 before its body is read, and the ${MAX_CONCURRENT_UPLOADS} are each read to the end and told the file is too large`, async () => {
    const upload = () => {
      const one = oversize(signedIn.csrf);
      return startPost(site, '/report', one.body, {
        'content-type': one.type,
        'content-length': String(one.body.length),
        cookie: signedIn.cookie,
      });
    };
    // Each holder sends its first 256 KB and waits there: more than Node buffers for a request
    // nobody reads, so each one's upload has a slot and is being read.
    const holders = Array.from({ length: MAX_CONCURRENT_UPLOADS }, upload);
    await Promise.all(holders.map((h) => h.sendUntil(256 * 1024)));
    expect(holders.map((h) => h.isAnswered())).toEqual(holders.map(() => false));

    // Every slot is busy: the next two are told to come back, with nothing of theirs read.
    const turnedAway = [upload(), upload()];
    const busy = await Promise.all(turnedAway.map((p) => p.answered));
    expect(busy).toEqual([
      { status: 503, retryAfter: '5' },
      { status: 503, retryAfter: '5' },
    ]);
    expect(turnedAway.map((p) => p.sent())).toEqual([0, 0]);
    for (const p of turnedAway) {
      expect((await p.connected).bytesRead).toBeLessThan(2048);
      p.close();
    }

    // The holders go on to the end: each whole body is read (the file stopped at 5 MB).
    await Promise.all(holders.map((h) => h.sendUntil(Infinity)));
    const done = await Promise.all(holders.map((h) => h.answered));
    expect(done.map((d) => d.status)).toEqual(holders.map(() => 422));
    for (const h of holders) {
      expect(h.sent()).toBe(h.length);
      expect((await h.connected).bytesRead).toBeGreaterThan(MAX_ATTACHMENT_BYTES);
      h.close();
    }

    // Their slots are free again: the next upload is read, not turned away.
    const after = upload();
    await after.sendUntil(Infinity);
    expect((await after.answered).status).toBe(422);
    after.close();
  });
});
