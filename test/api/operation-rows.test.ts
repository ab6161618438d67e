import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components } from '../../db/schema/index.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { ForbiddenError, ValidationError } from '../../server/domain/shared/errors.ts';
import { operationRows } from '../../server/routes/admin-api.ts';
import { componentOps } from '../../server/routes/components.ts';
import { runOperation } from '../../server/routes/operation.ts';
import { runFormActions, formAction } from '../../server/web/forms/form.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';

const viewer: Actor = { type: 'user', id: 'viewer-1', label: 'viewer', role: 'viewer' };
const responder: Actor = { type: 'user', id: 'responder-1', label: 'r', role: 'responder' };

describe('admin operations declared once', () => {
  let t: TestContext;
  let admin: ReturnType<typeof api>;
  let secret: string;
  beforeAll(async () => {
    t = await createTestContext();
    secret = (await makeToken(t, 'admin')).secret;
    admin = api(t, secret);
  });
  afterAll(() => t.close());

  it('the OpenAPI document has exactly one entry per operation row, with its role, body and status', async () => {
    const doc = (await admin.get('/api/admin/openapi.json')).json;
    const entries = Object.values(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      (p) => Object.keys(p),
    );
    expect(entries.length).toBe(operationRows.length);
    for (const row of operationRows) {
      const path = `/api/admin${row.path.replace(/:(\w+)/g, '{$1}')}`;
      const entry = doc.paths[path]?.[row.method];
      expect(entry, `${row.method} ${row.path}`).toBeDefined();
      expect(entry.summary).toBe(row.summary);
      expect(entry.description).toBe(`Needs the ${row.role} role.`);
      expect(Object.keys(entry.responses)).toContain(String(row.success));
      const hasBody = !!row.input && row.method !== 'get';
      expect(!!entry.requestBody, `${row.method} ${row.path} body`).toBe(hasBody);
      // The field the URL carries is never asked for in the body.
      if (row.pathField)
        expect(
          Object.keys(entry.requestBody?.content['application/json'].schema.properties ?? {}),
        ).not.toContain(row.pathField);
    }
  });

  it('every row is mounted on its own method and path, and its path 405s the methods it lacks', async () => {
    const unknownPath = await admin.get('/api/admin/no-such-resource');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.json.error.message).toContain('No API endpoint');
    for (const row of operationRows) {
      const path = `/api/admin${row.path.replace(/:(\w+)/g, 'no-such-id')}`;
      const res = await t.app.request(path, {
        method: row.method.toUpperCase(),
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
        },
        body: row.method === 'get' ? undefined : '{}',
      });
      const body = await res.text();
      const what = `${row.method} ${row.path}: ${res.status} ${body}`;
      expect(res.status, what).not.toBe(405);
      // A 404 here is the verb's own (it names the id), never the one for an unknown path.
      if (res.status === 404) expect(body, what).not.toContain('No API endpoint');
    }
    const wrongMethod = await admin.post('/api/admin/me');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.res.headers.get('allow')).toBe('GET, HEAD');
  });

  it("a row's role is checked before its input is read or its verb runs, whoever runs it", async () => {
    const before = await t.deps.db.select().from(components);
    await expect(
      runOperation(t.deps, componentOps.create, { name: 'From a viewer' }, viewer),
    ).rejects.toBeInstanceOf(ForbiddenError);
    // Even input the schema refuses is refused for the role first: nothing about it is told.
    await expect(
      runOperation(t.deps, componentOps.create, { nonsense: true }, responder),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      runOperation(t.deps, componentOps.create, { name: '', isGroup: 'yes' }, viewer),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await t.deps.db.select().from(components)).toEqual(before);
  });

  it("a form action runs the row's schema: a conversion error and the schema's own are shown together, nothing written", async () => {
    const before = await t.deps.db.select().from(components);
    const admins: Actor = { type: 'user', id: null, label: 'admin', role: 'admin' };
    const out = await runFormActions(
      t.deps,
      admins,
      {
        create: formAction(
          componentOps.create,
          (values, fe) => ({
            name: values.name,
            description: fe.take(() => {
              throw new ValidationError('description: too odd', { description: 'too odd' });
            }, null),
          }),
          () => '/admin/components',
        ),
      },
      { _action: 'create', name: '' },
    );
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.status).toBe(422);
    expect(out.errors).toMatchObject({ description: 'too odd', name: expect.any(String) });
    expect(out.values).toEqual({ _action: 'create', name: '' });
    expect(await t.deps.db.select().from(components)).toEqual(before);
    const unknown = await runFormActions(t.deps, admins, {}, { _action: 'toString' });
    expect(unknown).toMatchObject({
      ok: false,
      status: 422,
      errors: { _action: 'unknown action' },
    });
  });
});
