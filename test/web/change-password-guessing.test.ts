import { describe, expect, it } from 'vitest';
import { FormClient, makeUser, TEST_PASSWORD, useSite } from '../helpers/site.ts';

// The sign-in form slows down guesses (5 per account and client, then 30 s doubling). The
// "current password" field of /admin/account checks the same password, so it is slowed down the
// same way: whoever holds a session (an unlocked laptop, a stolen cookie) must not be able to
// guess the password itself, which would open the account after the session is gone.
describe('guessing the current password on /admin/account', () => {
  const s = useSite();

  it('is slowed down like sign-in: after five wrong current passwords the form answers 429, even to the right one, until the wait is over', async () => {
    const u = await makeUser(s.t, 'responder');
    const c = new FormClient(s.site.base);
    await c.login(u.email);
    const change = async (currentPassword: string) => {
      await c.get('/admin/account');
      return c.post('/admin/account', {
        currentPassword,
        newPassword: 'a new long passphrase',
        newPasswordConfirm: 'a new long passphrase',
      });
    };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await change(`guess number ${i}`)).res.status);
    expect(statuses).toEqual([422, 422, 422, 422, 422, ...Array(7).fill(429)]);
    const right = await change(TEST_PASSWORD);
    expect(right.res.status).toBe(429);
    expect(right.res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(right.html).toMatch(/Too many wrong passwords\. Wait \d+ seconds and try again\./);
    expect(right.html).not.toContain(TEST_PASSWORD);
    // The guesses were counted with sign-ins: this client cannot sign in anew meanwhile either.
    const other = new FormClient(s.site.base);
    await other.get('/login');
    expect(
      (await other.post('/login', { email: u.email, password: TEST_PASSWORD })).res.status,
    ).toBe(429);
    s.t.clock.advance(31_000);
    const later = await change(TEST_PASSWORD);
    expect(later.res.status).toBe(303);
    expect(later.res.headers.get('location')).toBe('/admin/account?done=password');
  }, 60_000);
});
