import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLoginFailure } from '../../server/domain/auth/login-throttle.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD } from '../helpers/site.ts';

// "Nobody can lock someone else out": failed sign-ins for one account from many addresses must
// not keep the account's owner, typing the right password from their own address, out; the
// guessers are still slowed down.
describe('sign-in throttling cannot be turned against the account owner', () => {
  let t: TestContext;
  let site: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true' } });
    site = await startSite(t);
  });
  afterAll(async () => {
    await site?.close();
    await t?.close();
  });

  async function signIn(address: string, email: string, password: string) {
    const client = new FormClient(site.base, { 'x-forwarded-for': address });
    await client.get('/login');
    return client.post('/login', { email, password });
  }

  it('counts the addresses of one IPv6 /64 as one client: a fresh address of it still waits after five wrong passwords', async () => {
    const pm = await makeUser(t, 'admin', 'pm64@example.com');
    for (let i = 1; i <= 5; i++)
      expect((await signIn(`2001:db8:1:2::${i}`, pm.email, 'guess-guess-guess')).res.status).toBe(
        401,
      );
    const sixth = await signIn('2001:db8:1:2:ffff:1:2:3', pm.email, TEST_PASSWORD);
    expect(sixth.res.status).toBe(429);
    expect(sixth.html).toMatch(/Too many failed sign-ins\. Wait \d+ seconds/);
    // The next /64 over is another client, and the owner's own address is untouched.
    expect((await signIn('2001:db8:1:3::1', pm.email, TEST_PASSWORD)).res.status).toBe(303);
  });

  it('wrong passwords for the PM from a hundred clients do not stop the PM signing in from their own address, and each guesser still waits', async () => {
    const pm = await makeUser(t, 'admin', 'pm@example.com');
    // A hundred clients (one /64 each), one wrong password each: under every per-client limit,
    // and together at the account's limit for all addresses.
    const attackers = Array.from({ length: 100 }, (_, i) => `2001:db8:${(i + 1).toString(16)}::1`);
    for (let i = 0; i < attackers.length; i += 4)
      await Promise.all(
        attackers.slice(i, i + 4).map(async (address) => {
          const r = await signIn(address, pm.email, 'guess-guess-guess');
          expect(r.res.status).toBe(401);
        }),
      );
    const owner = await signIn('198.51.100.20', pm.email, TEST_PASSWORD);
    expect(owner.html).not.toMatch(/Too many failed sign-ins/);
    expect(owner.res.status).toBe(303);
    // A client that has guessed before now meets the account's limit, right password or not.
    const again = await signIn(attackers[0]!, pm.email, TEST_PASSWORD);
    expect(again.res.status).toBe(429);
    expect(again.html).toMatch(/Too many failed sign-ins\. Wait \d+ seconds/);
  }, 120_000);

  it('a browser that signed in to the account before gets in after a typo of its own while others guess at the account; another browser at that address waits', async () => {
    const pm = await makeUser(t, 'admin', 'pm-typo@example.com');
    const own = new FormClient(site.base, { 'x-forwarded-for': '198.51.100.30' });
    await own.login(pm.email);
    expect(own.cookies.get('herald_device')).toBeTruthy();
    expect((await own.post('/logout', {})).res.status).toBe(303);
    // The account's limit for all addresses is reached (as in the test above, without spending
    // a hundred password checks on it).
    for (let i = 0; i < 100; i++)
      await recordLoginFailure(t.deps.db, pm.email, `203.0.113.${i}`, t.clock.now());
    await own.get('/login');
    expect((await own.post('/login', { email: pm.email, password: 'a typo' })).res.status).toBe(
      401,
    );
    const other = new FormClient(site.base, { 'x-forwarded-for': '198.51.100.30' });
    await other.get('/login');
    expect(
      (await other.post('/login', { email: pm.email, password: TEST_PASSWORD })).res.status,
    ).toBe(429);
    const back = await own.post('/login', { email: pm.email, password: TEST_PASSWORD });
    expect(back.res.status).toBe(303);
  });
});
