import { describe, expect, it } from 'vitest';
import { FormClient, makeUser, TEST_PASSWORD, useSite } from '../helpers/site.ts';

// The sign-in form slows down guesses (5 per account and client, then 30 s doubling). The
// "current password" field of /admin/account checks the same password with no limit at all, so
// whoever holds a session (an unlocked laptop, a stolen cookie) can guess the password itself,
// which then opens the account after the session is gone (and wherever else it is reused).
describe('guessing the current password on /admin/account', () => {
  const s = useSite();

  it('is slowed down like sign-in: after repeated wrong current passwords the form answers 429', async () => {
    const u = await makeUser(s.t, 'responder');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    await c.get('/admin/account');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      await c.get('/admin/account');
      const r = await c.post('/admin/account', {
        currentPassword: `guess number ${i}`,
        newPassword: 'a new long passphrase',
        newPasswordConfirm: 'a new long passphrase',
      });
      statuses.push(r.res.status);
    }
    // Today: twelve 422 "is not your current password", and the thirteenth guess, right, works.
    expect(statuses).toContain(429);
    await c.get('/admin/account');
    const right = await c.post('/admin/account', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'a new long passphrase',
      newPasswordConfirm: 'a new long passphrase',
    });
    expect(right.res.status).toBe(429);
  }, 60_000);
});
