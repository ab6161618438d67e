import { describe, expect, it } from 'vitest';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { updateUser } from '../../server/domain/users/update-user.ts';
import { api } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { FormClient, makeUser, useSite } from '../helpers/site.ts';

const asUser = (u: { id: string; email: string }, role: Actor['role']): Actor => ({
  type: 'user',
  id: u.id,
  label: u.email,
  role,
});

describe('an API token acts with at most its maker’s current role', () => {
  const s = useSite();

  let n = 0;
  const newUserBody = () => ({
    email: `made-by-token-${++n}@example.com`,
    role: 'admin',
    password: 'a long enough passphrase',
  });

  it('an admin token of a user demoted to responder or viewer can no longer create admins; promoted again, it can', async () => {
    const maker = await makeUser(s.t, 'admin');
    const { secret } = await createApiToken(
      s.t.deps,
      { name: 'deploy bot', role: 'admin' },
      asUser(maker, 'admin'),
    );
    const call = api(s.t, secret);
    expect((await call.post('/api/admin/users', newUserBody())).status).toBe(201);

    await updateUser(s.t.deps, { userId: maker.id, role: 'responder' }, testActor);
    const refused = await call.post('/api/admin/users', newUserBody());
    expect(refused.status).toBe(403);
    // Still a working responder token: incidents are a responder's business.
    expect((await call.get('/api/admin/incidents')).status).toBe(200);

    await updateUser(s.t.deps, { userId: maker.id, role: 'viewer' }, testActor);
    expect((await call.post('/api/admin/users', newUserBody())).status).toBe(403);
    expect((await call.post('/api/admin/components', { name: 'Nope' })).status).toBe(403);

    await updateUser(s.t.deps, { userId: maker.id, role: 'admin' }, testActor);
    expect((await call.post('/api/admin/users', newUserBody())).status).toBe(201);
  });

  it('a token made with a token belongs to the same user, so demoting the user narrows both', async () => {
    const maker = await makeUser(s.t, 'admin');
    const first = await createApiToken(
      s.t.deps,
      { name: 'parent', role: 'admin' },
      asUser(maker, 'admin'),
    );
    const made = await api(s.t, first.secret).post('/api/admin/tokens', {
      name: 'child',
      role: 'admin',
    });
    expect(made.status).toBe(201);
    expect(made.json.token.userId).toBe(maker.id);
    await updateUser(s.t.deps, { userId: maker.id, role: 'responder' }, testActor);
    expect((await api(s.t, made.json.secret).post('/api/admin/users', newUserBody())).status).toBe(
      403,
    );
  });

  it('demoting or disabling a user names the tokens it narrows, in the answer, the audit log and the users page', async () => {
    const maker = await makeUser(s.t, 'admin');
    const admin = await createApiToken(
      s.t.deps,
      { name: 'ci admin', role: 'admin' },
      asUser(maker, 'admin'),
    );
    await createApiToken(s.t.deps, { name: 'ci reader', role: 'viewer' }, asUser(maker, 'admin'));
    const demoted = await updateUser(s.t.deps, { userId: maker.id, role: 'responder' }, testActor);
    expect(demoted.affectedTokens).toEqual([
      { id: admin.token.id, name: 'ci admin', role: 'admin', actsAs: 'responder' },
    ]);
    const disabled = await updateUser(s.t.deps, { userId: maker.id, disabled: true }, testActor);
    expect(disabled.affectedTokens.map((x) => [x.name, x.actsAs]).sort()).toEqual([
      ['ci admin', null],
      ['ci reader', null],
    ]);
    expect((await api(s.t, admin.secret).get('/api/admin/incidents')).status).toBe(401);

    const audit = await api(
      s.t,
      (await createApiToken(s.t.deps, { name: 'a', role: 'admin' }, testActor)).secret,
    ).get('/api/admin/audit');
    expect(JSON.stringify(audit.json)).toContain('ci admin');

    // The users page after a demotion lists the tokens it reached.
    const pageAdmin = await makeUser(s.t, 'admin');
    const other = await makeUser(s.t, 'admin');
    await createApiToken(s.t.deps, { name: 'page bot', role: 'admin' }, asUser(other, 'admin'));
    const c = new FormClient(s.site.base);
    await c.login(pageAdmin.email);
    await c.get('/admin/users');
    const r = await c.post('/admin/users', { _action: 'role', id: other.id, role: 'responder' });
    expect(r.res.status).toBe(303);
    const shown = await c.get(r.res.headers.get('location')!);
    expect(shown.html).toContain('page bot: made as admin, acts as responder');
    const tokens = await c.get('/admin/tokens');
    expect(tokens.html).toContain('(acts as responder)');
  });
});
