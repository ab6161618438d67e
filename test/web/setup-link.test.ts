import { describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.ts';
import { FormClient, useSite } from '../helpers/site.ts';

describe('first-admin setup link', () => {
  const s = useSite();

  it('rejects an unknown token', async () => {
    s.t.deps.setupLink.issue(s.t.clock.now());
    const c = new FormClient(s.site.base);
    const { res, html } = await c.get('/setup?token=wrong');
    expect(res.status).toBe(404);
    expect(html).toContain('not valid');
  });

  it('keeps what was typed and names the field when the passwords differ', async () => {
    const token = s.t.deps.setupLink.issue(s.t.clock.now());
    const c = new FormClient(s.site.base);
    await c.get(`/setup?token=${token}`);
    const { res, html } = await c.post('/setup', {
      token,
      email: 'pm@example.com',
      name: 'Pat "The PM" <PM>',
      password: 'long enough pw',
      passwordConfirm: 'different pw!',
    });
    expect(res.status).toBe(422);
    expect(html).toContain('does not match the password');
    expect(html).toContain('value="pm@example.com"');
    // Inside a quoted attribute only `"` (and `&`) can do harm, so Astro escapes those and
    // leaves `<` as it is (a `<` there opens no tag). The quote must not end the attribute,
    // and nowhere outside it may the typed `<PM>` appear unescaped.
    const attr = 'value="Pat &quot;The PM&quot; <PM>"';
    expect(html).toContain(attr);
    expect(html.split(attr).join('')).not.toContain('<PM>');
    expect(html).not.toContain('"The PM"');
    expect(await s.t.deps.db.select().from(users)).toHaveLength(0);
  });

  it('creates the first admin, signs them in, and works only once', async () => {
    const token = s.t.deps.setupLink.issue(s.t.clock.now());
    const c = new FormClient(s.site.base);
    await c.get(`/setup?token=${token}`);
    const { res } = await c.post('/setup', {
      token,
      email: 'PM@example.com',
      password: 'long enough pw',
      passwordConfirm: 'long enough pw',
    });
    expect(res.status).toBe(303);
    expect((await c.get('/admin')).res.status).toBe(200);
    const rows = await s.t.deps.db.select().from(users);
    expect(rows.map((r) => [r.email, r.role])).toEqual([['pm@example.com', 'admin']]);
    const again = new FormClient(s.site.base);
    await again.get('/login');
    const second = await again.post('/setup', {
      token,
      email: 'x@example.com',
      password: 'long enough pw',
      passwordConfirm: 'long enough pw',
    });
    expect(second.res.status).toBe(401);
    expect(await s.t.deps.db.select().from(users)).toHaveLength(1);
  });
});
