import { sql } from 'drizzle-orm';
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { setLocalPasswords } from '../../server/domain/auth/local-passwords.ts';
import { READER_SESSION_IDLE_MS } from '../../server/domain/auth/reader-sessions.ts';
import { SESSION_IDLE_MS } from '../../server/domain/auth/sessions.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { freePort } from '../edge/edge-harness.ts';
import { makeUser, TEST_PASSWORD } from '../helpers/site.ts';
import { type Accounts, signInAtProvider, startHerald, startProvider } from './oidc-harness.ts';

const accounts: Accounts = {
  alice: { email: 'alice@corp.example', groups: ['herald-admins', 'everyone'] },
  sam: { email: 'sam@corp.example', groups: ['sre'] },
  mallory: { email: 'mallory@corp.example', groups: ['marketing'] },
  carol: { email: 'carol@acme.com', groups: [] },
  olga: { email: 'olga@other.example', groups: [] },
  unverified: { email: 'boss@acme.com', groups: ['herald-admins'], emailVerified: false },
};

type Herald = Awaited<ReturnType<typeof startHerald>>;

async function rows(h: Herald) {
  const n = async (table: string) =>
    Number(
      (await h.deps.db.all<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)))[0]!.n,
    );
  return {
    users: await n('users'),
    sessions: await n('sessions'),
    readerSessions: await n('reader_sessions'),
  };
}

describe('single sign-on through a real OpenID Connect provider, in chromium', () => {
  let browser: TestBrowser;
  let herald: Herald;
  let provider: Awaited<ReturnType<typeof startProvider>>;

  // A test signs in up to three people at once, each in a browser of their own. A context
  // costs a renderer process to open and to close, so the file keeps three and hands them out
  // again in the next test with their cookies cleared: the sign-in state of Herald and of the
  // provider lives in cookies alone, so a cleared context is a browser nobody has signed in on.
  const pool: { context: BrowserContext; page: Page }[] = [];
  let taken = 0;
  beforeEach(() => {
    taken = 0;
  });
  async function freshPage(): Promise<Page> {
    let entry = pool[taken];
    if (!entry) {
      const context = await browser.newContext();
      entry = { context, page: await context.newPage() };
      pool.push(entry);
    } else {
      await entry.context.clearCookies();
    }
    taken += 1;
    return entry.page;
  }

  /** From Herald's sign-in page through the provider and back, as `login`. */
  async function staffSignIn(login: string, h: Herald = herald, issuer = provider.issuer) {
    const page = await freshPage();
    await page.goto(`${h.url}/admin/incidents`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.click('text=Sign in with your company account');
    await signInAtProvider(page, issuer, login);
    await page.waitForLoadState();
    return page;
  }

  async function readerSignIn(login: string, slug: string) {
    const page = await freshPage();
    const statuses: number[] = [];
    const onResponse = (r: Response) => {
      if (r.request().isNavigationRequest() && r.url().startsWith(herald.url))
        statuses.push(r.status());
    };
    page.on('response', onResponse);
    await page.goto(`${herald.url}/a/${slug}/sign-in`);
    await page.click('text=Sign in with your company account');
    await signInAtProvider(page, provider.issuer, login);
    await page.waitForLoadState();
    page.off('response', onResponse);
    // The last page Herald answered after the provider sent the browser back.
    return { page, status: statuses.at(-1) };
  }

  beforeAll(async () => {
    const port = await freePort();
    provider = await startProvider(`http://127.0.0.1:${port}/sso/callback`, accounts);
    herald = await startHerald(port, provider.issuer);
    browser = await openBrowser();
    await createAudience(
      herald.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    await createAudience(
      herald.deps,
      { name: 'Staff', slug: 'staff', everyoneSignedIn: true, seesInternal: true },
      testActor,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await herald?.stop();
    await provider?.close();
  });

  it('signs staff in with the role their group maps to, making the account the first time', async () => {
    const page = await staffSignIn('alice');
    expect(new URL(page.url()).pathname).toBe('/admin/incidents');
    const [alice] = await herald.deps.db.all<{ role: string; password_hash: string | null }>(
      sql`select role, password_hash from users where email = 'alice@corp.example'`,
    );
    expect(alice).toEqual({ role: 'admin', password_hash: null });
    const [s] = await herald.deps.db.all<{ method: string }>(
      sql`select s.method from sessions s join users u on u.id = s.user_id where u.email = 'alice@corp.example'`,
    );
    expect(s!.method).toBe('oidc');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'herald_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');
    expect(cookies.find((c) => c.name === 'herald_oidc')).toBeUndefined();

    const sre = await staffSignIn('sam');
    expect(new URL(sre.url()).pathname).toBe('/admin/incidents');
    const [sam] = await herald.deps.db.all<{ role: string }>(
      sql`select role from users where email = 'sam@corp.example'`,
    );
    expect(sam!.role).toBe('responder');
    await sre.goto(`${herald.url}/admin/users`);
    expect(await sre.textContent('h1')).toContain('Not allowed');
  });

  it('refuses staff whose groups map to no role, and writes nothing', async () => {
    const before = await rows(herald);
    const page = await staffSignIn('mallory');
    expect(await page.textContent('h1')).toBe('Not allowed');
    expect(await page.textContent('body')).toContain('none of your groups gives access');
    expect(await rows(herald)).toEqual(before);
    await page.goto(`${herald.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('refuses an address the provider does not vouch for, and writes nothing', async () => {
    const before = await rows(herald);
    const page = await staffSignIn('unverified');
    expect(await page.textContent('body')).toContain('did not vouch for an email address');
    expect(await rows(herald)).toEqual(before);
  });

  it('signs a reader in to an audience their domain belongs to, with no admin access', async () => {
    const { page } = await readerSignIn('carol', 'acme-corp');
    expect(new URL(page.url()).pathname).toBe('/a/acme-corp');
    expect(await page.textContent('body')).toContain('Status for Acme Corp');
    expect(await page.textContent('body')).toContain('Signed in as carol@acme.com');
    const [r] = await herald.deps.db.all<{ method: string }>(
      sql`select method from reader_sessions where email = 'carol@acme.com'`,
    );
    // The provider vouched for the address, but carol is a customer, not the company's.
    expect(r!.method).toBe('oidc_outside');
    const users = await herald.deps.db.all(sql`select 1 from users where email = 'carol@acme.com'`);
    expect(users).toHaveLength(0);
    await page.goto(`${herald.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // Not the company's (no company domain, no mapped group): the staff audience stays shut.
    const staffPage = await page.goto(`${herald.url}/a/staff`);
    expect(staffPage!.status()).toBe(404);
  });

  it('opens an audience for everyone signed in to a reader whose group maps to a role', async () => {
    const { page } = await readerSignIn('sam', 'staff');
    expect(new URL(page.url()).pathname).toBe('/a/staff');
    expect(await page.textContent('body')).toContain('Signed in as sam@corp.example');
  });

  it('answers a reader of the wrong audience with the same 404 as everyone, and writes nothing', async () => {
    const before = await rows(herald);
    const { page, status } = await readerSignIn('olga', 'acme-corp');
    expect(status).toBe(404);
    expect(await page.textContent('h1')).toContain('Not found');
    expect(await rows(herald)).toEqual(before);
    const unknown = await readerSignIn('olga', 'no-such-audience');
    expect(unknown.status).toBe(404);
    expect(await rows(herald)).toEqual(before);
  });

  it('refuses a replayed answer from the provider: each sign-in is used once', async () => {
    const page = await freshPage();
    await page.goto(`${herald.url}/login`);
    await page.click('text=Sign in with your company account');
    let callback = '';
    const onRequest = (r: Request) => {
      if (r.url().startsWith(`${herald.url}/sso/callback`)) callback = r.url();
    };
    page.on('request', onRequest);
    await signInAtProvider(page, provider.issuer, 'alice');
    await page.waitForLoadState();
    page.off('request', onRequest);
    expect(callback).not.toBe('');
    const before = await rows(herald);
    const again = await page.goto(callback);
    expect(again!.status()).toBe(400);
    expect(await rows(herald)).toEqual(before);
  });

  it('signs staff out: the session row is gone and the admin asks for sign-in again', async () => {
    const page = await staffSignIn('alice');
    const before = await rows(herald);
    await page.goto(`${herald.url}/logout`);
    await Promise.all([page.waitForURL(/\/login/), page.click('button[type="submit"]')]);
    expect((await rows(herald)).sessions).toBe(before.sessions - 1);
    await page.goto(`${herald.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('ends staff and reader sessions left idle past their lifetime', async () => {
    const staff = await staffSignIn('alice');
    const { page: reader } = await readerSignIn('carol', 'acme-corp');
    herald.clock.advance(Math.max(SESSION_IDLE_MS, READER_SESSION_IDLE_MS) + 1);
    await staff.goto(`${herald.url}/admin`);
    expect(new URL(staff.url()).pathname).toBe('/login');
    const gone = await reader.goto(`${herald.url}/a/acme-corp`);
    expect(gone!.status()).toBe(404);
  });

  it('lets only an admin who came through the provider switch local passwords off; the command line switches them back on', async () => {
    const local = await makeUser(herald, 'admin', 'local-admin@corp.example');
    const pw = await freshPage();
    await pw.goto(`${herald.url}/login`);
    await pw.fill('input[name="email"]', local.email);
    await pw.fill('input[name="password"]', TEST_PASSWORD);
    await Promise.all([pw.waitForURL(/\/admin/), pw.click('text=Sign in with a password')]);
    await pw.goto(`${herald.url}/admin/sign-in`);
    await pw.click('text=Switch local passwords off');
    expect(await pw.textContent('body')).toContain('Sign in through single sign-on first');
    expect(await pw.textContent('body')).toContain('Local passwords are on');

    const sso = await staffSignIn('alice');
    await sso.goto(`${herald.url}/admin/sign-in`);
    await Promise.all([sso.waitForURL(/done=off/), sso.click('text=Switch local passwords off')]);
    const refused = await freshPage();
    await refused.goto(`${herald.url}/login`);
    expect(await refused.locator('input[name="password"]').count()).toBe(0);

    await setLocalPasswords(herald.deps, { enabled: true }, testActor, null);
    await refused.goto(`${herald.url}/login`);
    expect(await refused.locator('input[name="password"]').count()).toBe(1);
  });
});

describe('an ID token whose signature does not verify', () => {
  it('is refused, and nothing is written', async () => {
    const port = await freePort();
    const provider = await startProvider(`http://127.0.0.1:${port}/sso/callback`, accounts);
    const herald = await startHerald(port, provider.issuer);
    const browser = await openBrowser();
    try {
      provider.tamperKeys();
      const before = await rows(herald);
      const page = await browser.newPage();
      await page.goto(`${herald.url}/login`);
      await page.click('text=Sign in with your company account');
      await signInAtProvider(page, provider.issuer, 'alice');
      await page.waitForLoadState();
      expect(await page.textContent('h1')).toBe('Sign-in failed');
      expect(await rows(herald)).toEqual(before);
      await page.goto(`${herald.url}/admin`);
      expect(new URL(page.url()).pathname).toBe('/login');
    } finally {
      await browser.close();
      await herald.stop();
      await provider.close();
    }
  });
});
