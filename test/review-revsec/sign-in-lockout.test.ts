import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD } from '../helpers/site.ts';

// "Nobody can lock someone else out": failed sign-ins for one account from many addresses must
// not keep the account's owner, typing the right password from their own address, out.
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

  it('wrong passwords for the PM from one attacker host (addresses of one IPv6 /64) do not stop the PM signing in from their own address', async () => {
    const pm = await makeUser(t, 'admin', 'pm@example.com');
    // One host: 100 addresses of its /64, one wrong password each (each under every per-client
    // limit, since the per-client keys are whole /128 addresses).
    const attempts = Array.from({ length: 100 }, (_, i) => `2001:db8:1:2::${(i + 1).toString(16)}`);
    for (let i = 0; i < attempts.length; i += 4) {
      await Promise.all(
        attempts.slice(i, i + 4).map(async (address) => {
          const attacker = new FormClient(site.base, { 'x-forwarded-for': address });
          await attacker.get('/login');
          const r = await attacker.post('/login', {
            email: pm.email,
            password: 'guess-guess-guess',
          });
          expect(r.res.status).toBe(401);
        }),
      );
    }
    const owner = new FormClient(site.base, { 'x-forwarded-for': '198.51.100.20' });
    await owner.get('/login');
    const r = await owner.post('/login', { email: pm.email, password: TEST_PASSWORD });
    // Today: 429 "Too many failed sign-ins. Wait 30 seconds", doubling to 15 minutes while the
    // attacker sends a few more, and again every 15 minutes: the PM is kept out mid-incident.
    expect(r.html).not.toMatch(/Too many failed sign-ins/);
    expect(r.res.status).toBe(303);
  }, 120_000);
});
