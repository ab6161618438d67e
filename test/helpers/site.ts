import { createUser } from '../../server/domain/users/create-user.ts';
import { afterAll, beforeAll } from 'vitest';
import { createTestContext, testActor, type TestContext } from './deps.ts';
import { listen } from './server.ts';

/** The full app (API + Astro pages) listening on a free loopback port; needs `npm run build`. */
export const startSite = listen;

/**
 * A suite's own database and the full app listening on it, started before its tests and closed
 * after them. Read `s.t` and `s.site` inside tests (they exist once beforeAll has run).
 */
export function useSite() {
  const s = {} as { t: TestContext; site: Awaited<ReturnType<typeof startSite>> };
  beforeAll(async () => {
    s.t = await createTestContext();
    s.site = await startSite(s.t);
  });
  afterAll(async () => {
    await s.site?.close();
    await s.t?.close();
  });
  return s;
}

let n = 0;
export const TEST_PASSWORD = 'correct horse battery';

export async function makeUser(
  t: TestContext,
  role: 'admin' | 'responder' | 'viewer',
  email?: string,
) {
  n += 1;
  return createUser(
    t.deps,
    { email: email ?? `${role}${n}@example.com`, role, password: TEST_PASSWORD },
    testActor,
  );
}

/**
 * A browser-like client: keeps cookies, reads the CSRF token from the forms it is shown, sends
 * forms as application/x-www-form-urlencoded with the site's Origin, never follows redirects.
 */
export class FormClient {
  readonly base: string;
  cookies = new Map<string, string>();
  csrf = '';
  /** Sent with every request (e.g. X-Forwarded-For, to play another client behind a proxy). */
  readonly headers: Record<string, string>;
  constructor(base: string, headers: Record<string, string> = {}) {
    this.base = base;
    this.headers = headers;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = await fetch(this.base + path, {
      headers: { ...this.headers, cookie: this.cookieHeader() },
      redirect: 'manual',
    });
    this.keep(res);
    const html = await res.text();
    const m = /name="_csrf" value="([^"]*)"/.exec(html);
    if (m) this.csrf = m[1]!;
    return { res, html };
  }

  async post(
    path: string,
    fields: Record<string, string | string[]>,
    opts: { csrf?: string | null; origin?: string | null } = {},
  ) {
    const body = new URLSearchParams();
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) body.append('_csrf', csrf);
    for (const [k, v] of Object.entries(fields))
      for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const headers: Record<string, string> = {
      ...this.headers,
      cookie: this.cookieHeader(),
      'content-type': 'application/x-www-form-urlencoded',
    };
    const origin = opts.origin === undefined ? this.base : opts.origin;
    if (origin !== null) headers.origin = origin;
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
    });
    this.keep(res);
    const html = await res.text();
    const m = /name="_csrf" value="([^"]*)"/.exec(html);
    if (m) this.csrf = m[1]!;
    return { res, html };
  }

  /** A multipart form post, as a browser sends a form with a file field. */
  async postMultipart(path: string, fields: Record<string, string | Blob>) {
    const body = new FormData();
    body.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { ...this.headers, cookie: this.cookieHeader(), origin: this.base },
      body,
      redirect: 'manual',
    });
    this.keep(res);
    const html = await res.text();
    const m = /name="_csrf" value="([^"]*)"/.exec(html);
    if (m) this.csrf = m[1]!;
    return { res, html };
  }

  async login(email: string, password = TEST_PASSWORD) {
    await this.get('/login');
    const r = await this.post('/login', { email, password });
    if (r.res.status !== 303)
      throw new Error(`login failed: ${r.res.status} ${r.html.slice(0, 300)}`);
    await this.get('/admin');
    return r;
  }
}

/**
 * The public site for subscriber tests: `post` sends a same-origin form as a browser does
 * from one of the site's own pages (no session, no form token: the public subscribe forms
 * carry none, since the home page is cached for everyone).
 */
export async function startPublicSite(t: TestContext) {
  const { base, close } = await startSite(t);
  return {
    url: base,
    post(
      path: string,
      fields: Record<string, string | string[]>,
      headers: Record<string, string> = {},
    ) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields))
        for (const one of [v].flat()) body.append(k, one);
      return fetch(base + path, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: {
          origin: base,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
      });
    },
    /** As a browser: open the page (form cookie and token), then send its form to the same path. */
    async submit(path: string, fields: Record<string, string | string[]>) {
      const client = new FormClient(base);
      await client.get(path);
      const { res, html } = await client.post(path, fields);
      return new Response(html, { status: res.status, headers: res.headers });
    },
    close,
  };
}
