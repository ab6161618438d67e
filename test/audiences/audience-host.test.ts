import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import * as schema from '../../db/schema/index.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';

const ACME_HOST = 'status.acme-corp.test';

// The headers a shared cache has been fooled with elsewhere (as in named-audiences.test.ts):
// none may make a request on the public host pick an audience, nor one on the audience's host
// leave it.
const hostile = (target: string): Record<string, string> => ({
  'x-original-url': target,
  'x-rewrite-url': target,
  'x-forwarded-host': ACME_HOST,
  'x-forwarded-server': ACME_HOST,
  'x-host': ACME_HOST,
  'x-forwarded-proto': 'http',
  'x-forwarded-prefix': target,
  forwarded: `host=${ACME_HOST};proto=https`,
  'x-http-method-override': 'GET',
  'accept-encoding': 'gzip, br',
});

const decode = (raw: Buffer, encoding: string | undefined) =>
  (encoding === 'br'
    ? zlib.brotliDecompressSync(raw)
    : encoding === 'gzip'
      ? zlib.gunzipSync(raw)
      : raw
  ).toString('utf8');

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

describe('an audience on its own host name', () => {
  let s: ServerContext;
  let memberCookie: string;
  let outsiderCookie: string;

  /** A raw request with any Host header (fetch would not let a test choose it). */
  const ask = (path: string, headers: Record<string, string>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const u = new URL(s.url);
      const req = http.request(
        { host: u.hostname, port: u.port, path, method: 'GET', headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              body: decode(Buffer.concat(chunks), res.headers['content-encoding']),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  const cookieOf = (c: FormClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  beforeAll(async () => {
    s = await startTestServer({ env: { AUDIENCE_HOSTS: `${ACME_HOST}=acme-corp` } });
    const checkout = await makeComponent(s.deps, { name: 'Checkout' });
    await createAudience(
      s.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    await declareIncident(
      s.deps,
      {
        title: 'Checkout errors',
        priority: 2,
        body: 'PUBLIC-h4 Some payments fail.',
        components: [{ componentId: checkout.id, status: 'partial_outage' }],
        audienceTexts: [{ audience: 'acme-corp', body: 'ACME-h4 Your EU payments fail.' }],
      },
      testActor,
    );
    await makeUser(s, 'responder', 'ana@acme.com');
    await makeUser(s, 'responder', 'omar@example.org');
    const member = new FormClient(s.url);
    await member.login('ana@acme.com');
    memberCookie = cookieOf(member);
    const outsider = new FormClient(s.url);
    await outsider.login('omar@example.org');
    outsiderCookie = cookieOf(outsider);
  });
  afterAll(() => s.close());

  const expectPrivate = (a: Answer) => {
    expect(a.headers['cache-control']).toBe('private, no-store');
    for (const h of ['xkey', 'surrogate-key', 'cache-tag', 'surrogate-control', 'etag'])
      expect(a.headers[h], h).toBeUndefined();
  };

  it("serves the audience's page at / on its host name, private, to a member", async () => {
    const a = await ask('/', { host: ACME_HOST, cookie: memberCookie });
    expect(a.status).toBe(200);
    expect(a.body).toContain('Acme Corp');
    expect(a.body).toContain('ACME-h4 Your EU payments fail.');
    expect(a.body).not.toContain('PUBLIC-h4');
    expectPrivate(a);
  });

  it('answers a signed-out visitor and a non-member on the host name with the 404 of the /a/ page', async () => {
    for (const cookie of ['', outsiderCookie]) {
      const a = await ask('/', { host: ACME_HOST, cookie });
      expect(a.status).toBe(404);
      expectPrivate(a);
      for (const secret of ['Acme Corp', 'ACME-h4', 'PUBLIC-h4'])
        expect(a.body).not.toContain(secret);
    }
  });

  it('keeps the public page public: the cached home page never answers the host name, nor the other way round', async () => {
    // Fill the public cache, then ask on the audience's host: its answer, not the cached one.
    const pub1 = await ask('/', { host: new URL(s.url).host });
    const pub2 = await ask('/', { host: new URL(s.url).host });
    expect(pub2.body).toBe(pub1.body);
    expect(pub1.body).toContain('PUBLIC-h4 Some payments fail.');
    expect(pub1.headers['cache-control']).toMatch(/public/);
    const onHost = await ask('/', { host: ACME_HOST });
    expect(onHost.status).toBe(404);
    expect(onHost.body).not.toContain('PUBLIC-h4');
    const member = await ask('/', { host: ACME_HOST, cookie: memberCookie });
    expect(member.body).toContain('ACME-h4');
    // And after the member's answer, the public host still gets the public page.
    const pub3 = await ask('/', { host: new URL(s.url).host, cookie: memberCookie });
    expect(pub3.body).toContain('PUBLIC-h4 Some payments fail.');
    expect(pub3.body).not.toContain('ACME-h4');
  });

  it('never picks the audience from forwarded or rewritten headers on the public host', async () => {
    for (const cookie of [memberCookie, '']) {
      for (let k = 0; k < 2; k++) {
        const a = await ask('/', { host: new URL(s.url).host, cookie, ...hostile('/a/acme-corp') });
        expect(a.status).toBe(200);
        expect(a.body).toContain('PUBLIC-h4 Some payments fail.');
        expect(a.body).not.toContain('ACME-h4');
        expect(a.body).not.toContain('Acme Corp');
      }
    }
  });

  it('matches the host name exactly: look-alike, decorated and unknown hosts are the public site', async () => {
    for (const host of [
      `${ACME_HOST}.evil.example`,
      `evil-${ACME_HOST}`,
      `x.${ACME_HOST}`,
      `user@${ACME_HOST}`,
      `${ACME_HOST}/a/acme-corp`,
      'evil.example',
    ]) {
      const a = await ask('/', { host, cookie: memberCookie });
      expect(a.body, host).not.toContain('ACME-h4');
      expect(a.body, host).not.toContain('Acme Corp');
    }
    // Case and a port do not matter, as for any host name.
    const upper = await ask('/', { host: `STATUS.ACME-CORP.TEST:443`, cookie: memberCookie });
    expect(upper.body).toContain('ACME-h4');
  });

  it('stays private on the host name whatever headers come with the request', async () => {
    for (let k = 0; k < 3; k++) {
      const a = await ask('/', { host: ACME_HOST, cookie: memberCookie, ...hostile('/') });
      expect(a.status).toBe(200);
      expect(a.body).toContain('ACME-h4');
      expectPrivate(a);
      const out = await ask('/', { host: ACME_HOST, ...hostile('/a/acme-corp') });
      expect(out.status).toBe(404);
      expect(out.body).not.toContain('ACME-h4');
    }
    // Public routes asked on the audience's host leave no copy for an edge either.
    for (const p of ['/api/v2/summary.json', '/history.rss', '/history']) {
      const a = await ask(p, { host: ACME_HOST });
      expect(a.status, p).toBe(200);
      expectPrivate(a);
      expect(a.body, p).not.toContain('ACME-h4');
    }
  });

  it('changes nothing when asked on the host name', async () => {
    const before = await s.deps.db.select().from(schema.auditLog);
    await ask('/', { host: ACME_HOST, cookie: outsiderCookie });
    await ask('/', { host: ACME_HOST, cookie: memberCookie, ...hostile('/') });
    expect(await s.deps.db.select().from(schema.auditLog)).toEqual(before);
  });
});

describe('AUDIENCE_HOSTS', () => {
  const base = {
    DATABASE_URL: 'file:./data/never-opened.db',
    PUBLIC_URL: 'https://status.example.com',
  };
  const problems = (value: string) => {
    try {
      loadConfig({ ...base, AUDIENCE_HOSTS: value });
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems;
    }
  };

  it('reads host names and audiences, lower-casing the host', () => {
    const c = loadConfig({
      ...base,
      AUDIENCE_HOSTS: 'Status.Acme.com=acme-corp, eu.example.org=eu',
    });
    expect([...c.audienceHosts]).toEqual([
      ['status.acme.com', 'acme-corp'],
      ['eu.example.org', 'eu'],
    ]);
  });

  it('refuses to start on an entry that is not host=audience, naming each', () => {
    const p = problems(
      'status.acme.com, *.acme.com=acme, a.example=Bad Slug, a.example=x, a.example=y',
    );
    expect(p.join('\n')).toContain('"status.acme.com": must be host=audience');
    expect(p.join('\n')).toContain('"*.acme.com" is not a host name');
    expect(p.join('\n')).toContain('a.example is named twice');
  });

  it("refuses the public page's own host", () => {
    expect(problems('status.example.com=acme')).toEqual([
      "AUDIENCE_HOSTS: status.example.com is the public page's host (PUBLIC_URL)",
    ]);
  });
});
