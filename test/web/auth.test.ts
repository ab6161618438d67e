import { describe, expect, it } from 'vitest';
import { sessions } from '../../db/schema/index.ts';
import { SESSION_IDLE_MS } from '../../server/domain/auth/sessions.ts';
import { FormClient, makeUser, TEST_PASSWORD, useSite } from '../helpers/site.ts';

describe('signing in to the admin', () => {
  const s = useSite();

  it('sends a visitor without a session from /admin to the login page', async () => {
    const c = new FormClient(s.site.base);
    const { res } = await c.get('/admin/components?x=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fadmin%2Fcomponents%3Fx%3D1');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('signs in with email and password, sets a HttpOnly SameSite=Lax Secure cookie and stores only its hash', async () => {
    const u = await makeUser(s.t, 'responder');
    const c = new FormClient(s.site.base);
    await c.get('/login');
    const { res } = await c.post('/login', {
      email: u.email.toUpperCase(),
      password: TEST_PASSWORD,
      next: '/admin/components',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/components');
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith('herald_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
    const value = cookie.split(';')[0]!.split('=')[1]!;
    const rows = await s.t.deps.db.select().from(sessions);
    expect(rows.some((r) => r.tokenHash === value)).toBe(false);
    const dash = await c.get('/admin');
    expect(dash.res.status).toBe(200);
    expect(dash.html).toContain(u.email);
  });

  it('admin pages are never cached and cannot be framed, with a CSP without inline script', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    const { res } = await c.get('/admin');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses a wrong password with the email kept and no session', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.get('/login');
    const { res, html } = await c.post('/login', { email: u.email, password: 'not the password' });
    expect(res.status).toBe(401);
    expect(html).toContain('Wrong email or password.');
    expect(html).toContain(`value="${u.email}"`);
    expect(c.cookies.has('herald_session')).toBe(false);
  });

  it('refuses a login form without the CSRF token', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.get('/login');
    const { res } = await c.post(
      '/login',
      { email: u.email, password: TEST_PASSWORD },
      { csrf: null },
    );
    expect(res.status).toBe(403);
    expect(c.cookies.has('herald_session')).toBe(false);
  });

  it('refuses an admin form without the CSRF token, and one from another origin', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    expect((await c.post('/logout', {}, { csrf: null })).res.status).toBe(403);
    expect((await c.post('/logout', {}, { csrf: 'x'.repeat(43) })).res.status).toBe(403);
    expect((await c.post('/logout', {}, { origin: 'https://evil.example' })).res.status).toBe(403);
    expect((await c.get('/admin')).res.status).toBe(200);
  });

  it('accepts forms whose Origin is PUBLIC_URL (Herald behind a TLS-terminating proxy)', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.get('/login');
    const { res } = await c.post(
      '/login',
      { email: u.email, password: TEST_PASSWORD },
      { origin: 'https://status.example.com' },
    );
    expect(res.status).toBe(303);
  });

  it('signs out: the session stops working', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    const stolen = c.cookies.get('herald_session')!;
    const { res } = await c.post('/logout', {});
    expect(res.status).toBe(303);
    const replay = await fetch(`${s.site.base}/admin`, {
      headers: { cookie: `herald_session=${stolen}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
  });

  it('refuses an expired session, and keeps an active one alive (sliding expiry)', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    s.t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await c.get('/admin')).res.status).toBe(200);
    s.t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await c.get('/admin')).res.status).toBe(200);
    s.t.clock.advance(SESSION_IDLE_MS + 1);
    const { res } = await c.get('/admin');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });

  it('slows down repeated failed logins for an account, even with the right password', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.get('/login');
    for (let i = 0; i < 5; i++)
      expect(
        (await c.post('/login', { email: u.email, password: 'wrong password' })).res.status,
      ).toBe(401);
    const blocked = await c.post('/login', { email: u.email, password: TEST_PASSWORD });
    expect(blocked.res.status).toBe(429);
    expect(blocked.html).toMatch(/Wait \d+ seconds/);
    s.t.clock.advance(31_000);
    expect((await c.post('/login', { email: u.email, password: TEST_PASSWORD })).res.status).toBe(
      303,
    );
  });

  it('slows down many failed logins from one address across accounts', async () => {
    const c = new FormClient(s.site.base);
    await c.get('/login');
    for (let i = 0; i < 20; i++)
      await c.post('/login', { email: `nobody${i}@example.com`, password: 'wrong password' });
    const u = await makeUser(s.t, 'admin');
    expect((await c.post('/login', { email: u.email, password: TEST_PASSWORD })).res.status).toBe(
      429,
    );
    s.t.clock.advance(16 * 60_000);
  });

  it('serves a signed-in visitor the same cached public page as everyone, without cookies', async () => {
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    const anon = await fetch(`${s.site.base}/`);
    const anonBody = await anon.text();
    const signedIn = await fetch(`${s.site.base}/`, {
      headers: { cookie: `herald_session=${c.cookies.get('herald_session')}` },
    });
    expect(signedIn.headers.getSetCookie()).toEqual([]);
    expect(await signedIn.text()).toBe(anonBody);
    expect(anonBody).not.toContain(u.email);
    expect(anonBody).not.toContain('_csrf');
  });

  it('ends the sessions of a disabled user and takes a role change into account at once', async () => {
    const { updateUser } = await import('../../server/domain/users/update-user.ts');
    const { testActor } = await import('../helpers/deps.ts');
    const u = await makeUser(s.t, 'admin');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    expect((await c.get('/admin/users')).res.status).toBe(200);
    await updateUser(s.t.deps, { userId: u.id, role: 'responder' }, testActor);
    expect((await c.get('/admin/users')).res.status).toBe(403);
    await updateUser(s.t.deps, { userId: u.id, disabled: true }, testActor);
    expect((await c.get('/admin')).res.status).toBe(303);
    const again = new FormClient(s.site.base);
    await again.get('/login');
    expect(
      (await again.post('/login', { email: u.email, password: TEST_PASSWORD })).res.status,
    ).toBe(401);
  });
});
