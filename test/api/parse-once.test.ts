import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Deps } from '../../server/deps.ts';
import { incidentSupportScripts, incidents } from '../../db/schema/index.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import {
  postIncidentUpdateInput,
  resolveIncidentInput,
} from '../../server/domain/incidents/inputs.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { ValidationError } from '../../server/domain/shared/errors.ts';
import { followedBy, type Verb, verb } from '../../server/domain/shared/verb.ts';
import type { AuthEnv } from '../../server/http/auth.ts';
import { mapError } from '../../server/http/errors.ts';
import { operationRows } from '../../server/routes/admin-api.ts';
import { incidentOps } from '../../server/routes/incidents.ts';
import { operation, rowHandler, runOperation } from '../../server/routes/operation.ts';
import { saveSupportScriptInput } from '../../server/domain/support/support-script.ts';
import { formAction, runFormAction, str } from '../../server/web/forms/form.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

const admin: Actor = { type: 'user', id: null, label: 'admin', role: 'admin' };

/**
 * Counts the parses of real schemas: every parse goes through `parseInput`, which asks the
 * schema's `safeParse`; the spy calls through, so the verbs behave exactly as they do in use.
 * A schema nested inside another (a pipe, a field) is run by zod without its own `safeParse`,
 * so a count is the number of times that schema parsed a whole input.
 */
export function countParses<K extends string>(schemas: Record<K, z.ZodType>) {
  const spies = Object.entries(schemas).map(
    ([name, schema]) => [name, vi.spyOn(schema as z.ZodType, 'safeParse')] as const,
  );
  return {
    counts: () =>
      Object.fromEntries(spies.map(([name, spy]) => [name, spy.mock.calls.length])) as Record<
        K,
        number
      >,
    reset: () => spies.forEach(([, spy]) => spy.mockClear()),
  };
}

/**
 * A schema that counts how often anything parses with it (its first step runs on every parse,
 * good input or bad), behind a real verb and a real row: what the API, the forms and the CLI run.
 */
function countedRow() {
  const seen = { parses: 0, ran: [] as unknown[] };
  const schema = z.preprocess(
    (raw) => {
      seen.parses++;
      return raw;
    },
    z.strictObject({ thingId: z.string().min(1), name: z.string().trim().min(1, 'is required') }),
  );
  const thing = verb(schema, async (_deps: Deps, input) => {
    seen.ran.push(input);
    return { id: input.thingId, name: input.name };
  });
  const row = operation({
    method: 'post',
    path: '/things/:id',
    summary: 'A thing (test only)',
    role: 'responder',
    pathField: 'thingId',
    verb: thing,
    success: 201,
  });
  return { seen, schema, thing, row };
}

describe('each write is parsed once, with the schema its verb declares', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  it("every row's input is its verb's own schema, never a second one", () => {
    for (const row of operationRows) {
      const declared = (row.verb as Partial<Verb>).input;
      expect(row.input, `${row.method} ${row.path}`).toBe(declared);
    }
    expect(incidentOps.declare.input).toBe(declareIncident.input);
  });

  it('runOperation parses once: good input reaches the verb parsed, bad input is one 422', async () => {
    const { seen, row } = countedRow();
    const out = await runOperation(t.deps, row, { thingId: 't1', name: '  Widget ' }, admin);
    expect(out).toEqual({ id: 't1', name: 'Widget' });
    expect(seen.parses).toBe(1);
    expect(seen.ran).toEqual([{ thingId: 't1', name: 'Widget' }]);

    seen.parses = 0;
    const err = await runOperation(t.deps, row, { thingId: 't1', name: '   ' }, admin).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toEqual({ name: 'is required' });
    expect(seen.parses).toBe(1);
    expect(seen.ran).toHaveLength(1);
  });

  it('the API route derived from the row parses the body once and answers the field error', async () => {
    const { seen, row } = countedRow();
    const app = new Hono<AuthEnv>();
    app.onError(mapError(t.deps.log));
    app.use('*', async (c, next) => {
      c.set('actor', admin);
      await next();
    });
    app.post(row.path, rowHandler(t.deps, row));
    const post = (body: unknown) =>
      app.request('/things/t9', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const ok = await post({ name: 'Gadget' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ id: 't9', name: 'Gadget' });
    expect(seen.parses).toBe(1);

    const bad = await post({ name: 'Gadget', extra: 1 });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.fields).toEqual({ extra: 'is not a known field' });
    expect(seen.parses).toBe(2);
    expect(seen.ran).toHaveLength(1);
  });

  it('a form action over the row parses once, and a conversion error with a schema error is one answer', async () => {
    const { seen, row } = countedRow();
    const action = formAction(
      row,
      (values) => ({ thingId: 't3', name: str(values, 'name') }),
      (r) => `/admin/things/${r.id}`,
    );
    expect(await runFormAction(t.deps, admin, action, { name: 'Sprocket' })).toEqual({
      ok: true,
      redirect: '/admin/things/t3',
    });
    expect(seen.parses).toBe(1);

    seen.parses = 0;
    const converting = formAction(
      row,
      (values, fe) => ({
        thingId: 't3',
        name: str(values, 'name'),
        size: fe.take(() => {
          throw new ValidationError('size: must be a whole number', {
            size: 'must be a whole number',
          });
        }, undefined),
      }),
      () => '/admin/things',
    );
    const failed = await runFormAction(t.deps, admin, converting, { name: '', size: 'big' });
    expect(failed).toMatchObject({
      ok: false,
      status: 422,
      errors: { size: 'must be a whole number', name: 'is required' },
      values: { name: '', size: 'big' },
    });
    // The schema was asked once, to name its own fields with the form's; the verb never ran.
    expect(seen.parses).toBe(1);
    expect(seen.ran).toHaveLength(1);
  });

  it('a verb followed by a step parses once and hands the step the parsed input', async () => {
    const { seen, thing } = countedRow();
    const answering = followedBy(thing, (_deps: Deps, r, input) => ({ ...r, echoed: input.name }));
    expect(answering.input).toBe(thing.input);
    expect(await answering(t.deps, { thingId: 'a', name: ' Cog ' }, admin)).toEqual({
      id: 'a',
      name: 'Cog',
      echoed: 'Cog',
    });
    expect(seen.parses).toBe(1);
  });

  it('a domain verb called directly (importers, seed, tests) still parses what it is given', async () => {
    const err = await declareIncident(
      t.deps,
      { title: '', priority: 1, body: 'x', components: [] } as never,
      admin,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toHaveProperty('title');
  });

  it('a row cannot name a schema of its own, nor take a path field without one', () => {
    const { thing } = countedRow();
    const other = z.strictObject({ thingId: z.string() });
    const row = operation({
      method: 'post',
      path: '/things/:id',
      summary: 'x',
      role: 'responder',
      input: other,
      // @ts-expect-error the schema is the verb's: a row has no `input` of its own to state
      verb: thing,
      success: 201,
    });
    expect(row.input).toBe(thing.input);
    expect(() =>
      operation({
        method: 'post',
        path: '/things/:id',
        summary: 'x',
        role: 'responder',
        // @ts-expect-error a path field needs a verb that declares a schema
        pathField: 'thingId',
        verb: async () => ({}),
        success: 201,
      }),
    ).toThrow(/path field needs a verb with a schema/);
  });

  it('resolving parses its input once: the support script and the all-clear run on that parse', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Checkout down', priority: 2 });
    const parses = countParses({
      resolve: resolveIncidentInput,
      update: postIncidentUpdateInput,
      script: saveSupportScriptInput,
    });
    const out = await runOperation(
      t.deps,
      incidentOps.resolve,
      { incidentId: incident.id, body: '  Fixed. Thank you for your patience.  ' },
      admin,
    );
    expect(parses.counts()).toEqual({ resolve: 1, update: 0, script: 0 });
    expect(out).toMatchObject({ incidentId: incident.id, status: 'resolved' });
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.status).toBe('resolved');
    const [script] = await t.deps.db
      .select()
      .from(incidentSupportScripts)
      .where(eq(incidentSupportScripts.incidentId, incident.id));
    expect(script!.body).toMatch(/^What to say: "It is resolved: Checkout down\./);

    // Bad input is refused by that one parse, before anything is written.
    const { incident: other } = await makeIncident(t.deps, { title: 'Search slow', priority: 3 });
    parses.reset();
    const err = await runOperation(
      t.deps,
      incidentOps.resolve,
      { incidentId: other.id, supportScript: '   ' },
      admin,
    ).catch((e: unknown) => e);
    expect((err as ValidationError).fields).toHaveProperty('supportScript');
    expect(parses.counts()).toEqual({ resolve: 1, update: 0, script: 0 });
    const [still] = await t.deps.db.select().from(incidents).where(eq(incidents.id, other.id));
    expect(still!.status).not.toBe('resolved');
  });
});
