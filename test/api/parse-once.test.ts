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
import { saveSupportScriptInput } from '../../server/domain/support/support-script.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { ValidationError } from '../../server/domain/shared/errors.ts';
import { followedBy, type Verb, verb } from '../../server/domain/shared/verb.ts';
import type { AuthEnv } from '../../server/http/auth.ts';
import { mapError } from '../../server/http/errors.ts';
import { operationRows } from '../../server/routes/admin-api.ts';
import { incidentOps } from '../../server/routes/incidents.ts';
import { operation, rowHandler, runOperation } from '../../server/routes/operation.ts';
import { formAction, runFormAction, str } from '../../server/web/forms/form.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { createComponentInput } from '../../server/domain/components/create-component.ts';
import { setComponentStatusInput } from '../../server/domain/components/set-component-status.ts';
import { updateComponentInput } from '../../server/domain/components/update-component.ts';
import { changeIncidentPriorityInput } from '../../server/domain/incidents/change-incident-priority.ts';
import { declareIncidentInput } from '../../server/domain/incidents/inputs.ts';
import { extendMaintenanceInput } from '../../server/domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenanceInput } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { maintenanceStepInput } from '../../server/domain/maintenance/start-maintenance.ts';
import { updateSettingsInput } from '../../server/domain/settings/update-settings.ts';
import { prepareRowsInput } from '../../server/domain/subscribers/import-subscribers.ts';
import { requestSubscriptionInput } from '../../server/domain/subscribers/inputs.ts';
import { makeToken } from '../helpers/api.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { v1Operations } from '../../server/routes/statuspage-v1/index.ts';

const admin: Actor = { type: 'user', id: null, label: 'admin', role: 'admin' };

/**
 * Counts the parses of real schemas: every parse goes through `parseInput`, which asks the
 * schema's `safeParse`; the spies call through, so the verbs behave exactly as in use. A schema
 * nested in another (a pipe's second half, a field) is run by zod without its own `safeParse`,
 * so each call is one whole input parsed by that schema.
 */
function watchParses(schemas: Iterable<z.ZodType>) {
  const spies = [...new Set(schemas)].map((schema) => {
    const spy = vi.spyOn(schema, 'safeParse');
    return { schema, spy };
  });
  return {
    /** The schemas that parsed since the last reset, one entry per parse. */
    schemas: () => spies.flatMap(({ schema, spy }) => spy.mock.calls.map(() => schema)),
    reset: () => spies.forEach(({ spy }) => spy.mockClear()),
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
    const parses = watchParses([
      resolveIncidentInput,
      postIncidentUpdateInput,
      saveSupportScriptInput,
    ]);
    const out = await runOperation(
      t.deps,
      incidentOps.resolve,
      { incidentId: incident.id, body: '  Fixed. Thank you for your patience.  ' },
      admin,
    );
    expect(parses.schemas()).toEqual([resolveIncidentInput]);
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
    expect(parses.schemas()).toEqual([resolveIncidentInput]);
    const [still] = await t.deps.db.select().from(incidents).where(eq(incidents.id, other.id));
    expect(still!.status).not.toBe('resolved');
  });
});

describe("the management API parses each write once, with its operation's own schema", () => {
  let t: TestContext;
  let key: string;
  let base: string;
  beforeAll(async () => {
    t = await createTestContext();
    key = (await makeToken(t, 'admin')).secret;
    base = `/v1/pages/${(await t.deps.reader.page()).id}`;
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  /** Every Herald verb's schema: the admin rows' and those the management API composes. */
  const heraldSchemas: z.ZodType[] = [
    ...operationRows.flatMap((row) => (row.input ? [row.input] : [])),
    createComponentInput,
    updateComponentInput,
    setComponentStatusInput,
    updateSettingsInput,
    declareIncidentInput,
    postIncidentUpdateInput,
    changeIncidentPriorityInput,
    scheduleMaintenanceInput,
    extendMaintenanceInput,
    maintenanceStepInput,
    requestSubscriptionInput,
    prepareRowsInput,
  ];

  /** The schemas of the management API's write verbs (both kinds of PATCH /incidents/{id}). */
  const writeSchemas = () =>
    new Set(
      v1Operations
        .flatMap((row) => [row.verb, row.pick?.({ scheduled_until: '' }), row.pick?.({})])
        .flatMap((v) => (v?.input ? [v.input] : [])),
    );

  const send = async (method: string, path: string, body: unknown) => {
    const res = await t.app.request(path, {
      method,
      headers: { authorization: `OAuth ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  it('every write, composed of one Herald verb or several, is parsed once by its own schema', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const core = await makeComponent(t.deps, { name: 'Core', isGroup: true });
    const { incident } = await makeIncident(t.deps, { title: 'Slow API', priority: 2 });
    const at = (ms: number) => new Date(t.clock.now().getTime() + ms).toISOString();
    const own = writeSchemas();
    const parses = watchParses([...own, ...heraldSchemas]);
    const once = async (method: string, path: string, body: unknown, status: number) => {
      parses.reset();
      const r = await send(method, path, body);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBe(status);
      const parsed = parses.schemas();
      expect(parsed, `${method} ${path}`).toHaveLength(1);
      expect(own.has(parsed[0] as z.ZodType), `${method} ${path}`).toBe(true);
      return r.json;
    };

    await once('PATCH', base, { page: { name: 'Acme status' } }, 200);
    await once('POST', `${base}/components`, { component: { name: 'Search' } }, 201);
    // A new name and a new status: two Herald verbs on one parse.
    await once(
      'PATCH',
      `${base}/components/${api.id}`,
      { component: { description: 'Public REST API', status: 'partial_outage' } },
      200,
    );
    await once(
      'POST',
      `${base}/component-groups`,
      { component_group: { name: 'Edge', components: [api.id] } },
      201,
    );
    await once(
      'PUT',
      `${base}/component-groups/${core.id}`,
      { component_group: { name: 'Base' } },
      200,
    );
    await once(
      'POST',
      `${base}/incidents`,
      { incident: { name: 'Checkout down', components: { [api.id]: 'major_outage' } } },
      201,
    );
    // Declared and resolved at once.
    const filed = await once(
      'POST',
      `${base}/incidents`,
      { incident: { name: 'Filed afterwards', status: 'resolved', impact_override: 'minor' } },
      201,
    );
    expect(filed.status).toBe('resolved');
    // A priority change and an update.
    const moved = await once(
      'PATCH',
      `${base}/incidents/${incident.id}`,
      { incident: { impact_override: 'critical', status: 'identified', body: 'Found it.' } },
      200,
    );
    expect(moved).toMatchObject({ priority: 0, status: 'identified' });
    const window = await once(
      'POST',
      `${base}/incidents`,
      {
        incident: {
          name: 'Database upgrade',
          scheduled_for: at(86_400_000),
          scheduled_until: at(90_000_000),
        },
      },
      201,
    );
    // A maintenance window: extended and started.
    const started = await once(
      'PATCH',
      `${base}/incidents/${window.id}`,
      { incident: { scheduled_until: at(93_600_000), status: 'in_progress' } },
      200,
    );
    expect(started.status).toBe('in_progress');
    await once(
      'POST',
      `${base}/subscribers`,
      { subscriber: { email: 'ops@example.org', skip_confirmation_notification: true } },
      201,
    );
    await once('POST', `${base}/subscribers`, { subscriber: { email: 'new@example.org' } }, 201);

    // A refusal from the Herald half of the schema is the same one parse, in the client's words.
    const refused = await once(
      'POST',
      `${base}/incidents`,
      { incident: { status: 'identified' } },
      422,
    );
    expect(refused).toEqual({ error: 'incident.name: is required' });
  });

  it('reads and deletes parse no body', async () => {
    const gone = await makeComponent(t.deps, { name: 'Old' });
    const parses = watchParses([...writeSchemas(), ...heraldSchemas]);
    for (const [method, path] of [
      ['GET', `${base}/components`],
      ['GET', `${base}/incidents/unresolved`],
      ['DELETE', `${base}/components/${gone.id}`],
    ] as const) {
      const res = await t.app.request(path, {
        method,
        headers: { authorization: `OAuth ${key}` },
      });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
    }
    // The delete's id is parsed by its verb (`{ componentId }`), no body is.
    expect(parses.schemas()).toEqual([]);
  });
});
