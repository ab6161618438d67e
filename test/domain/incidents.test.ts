import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeIncidentPriority } from '../../server/domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from '../../server/domain/shared/errors.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

describe('incident verbs', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  const components = async () => (await t.deps.reader.components()).components;

  it('declaring a P0 or P1 promises the next update in 30 minutes by default; P2 promises nothing', async () => {
    const p1 = await makeIncident(t.deps, { priority: 1 });
    expect(p1.incident.nextUpdateDueAt?.getTime()).toBe(t.clock.now().getTime() + 30 * 60_000);
    const p2 = await makeIncident(t.deps, { priority: 2 });
    expect(p2.incident.nextUpdateDueAt).toBeNull();
    const custom = await makeIncident(t.deps, { priority: 0, nextUpdateInMinutes: 15 });
    expect(custom.incident.nextUpdateDueAt?.getTime()).toBe(t.clock.now().getTime() + 15 * 60_000);
  });

  it('rejects bad input with a message per field and writes nothing', async () => {
    const before = (await t.deps.reader.incidents('recent')).incidents.length;
    const err = await declareIncident(
      t.deps,
      { title: ' ', priority: 7, body: '' },
      testActor,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toMatchObject({
      title: 'is required',
      priority: 'must be 0, 1, 2 or 3',
      body: 'is required',
    });
    const past = await declareIncident(
      t.deps,
      {
        title: 'x',
        priority: 1,
        body: 'y',
        nextUpdateAt: new Date(t.clock.now().getTime() - 1000),
      },
      testActor,
    ).catch((e) => e);
    expect((past as ValidationError).fields).toEqual({ nextUpdateAt: 'must be in the future' });
    expect((await t.deps.reader.incidents('recent')).incidents.length).toBe(before);
  });

  it('refuses an unknown component as bad input on `components`, an unknown incident with NotFound', async () => {
    const err = await makeIncident(t.deps, {
      components: [{ componentId: 'nope', status: 'major_outage' }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toEqual({ components: 'no component with id nope' });
    await expect(
      postIncidentUpdate(t.deps, { incidentId: 'nope', body: 'x' }, testActor),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resolving restores components, but not while another open incident still holds them', async () => {
    const db = await makeComponent(t.deps, { name: 'Database' });
    const a = await makeIncident(t.deps, {
      components: [{ componentId: db.id, status: 'major_outage' }],
    });
    const b = await makeIncident(t.deps, {
      priority: 2,
      components: [{ componentId: db.id, status: 'degraded_performance' }],
    });
    await resolveIncident(t.deps, { incidentId: a.incident.id }, testActor);
    expect((await components()).find((c) => c.id === db.id)?.status).toBe('degraded_performance');
    await resolveIncident(t.deps, { incidentId: b.incident.id }, testActor);
    expect((await components()).find((c) => c.id === db.id)?.status).toBe('operational');
  });

  it('a resolved incident takes no more updates and promises nothing', async () => {
    const i = await makeIncident(t.deps);
    await resolveIncident(t.deps, { incidentId: i.incident.id }, testActor);
    const { entry } = await t.deps.reader.entry(i.incident.id);
    expect(entry).toMatchObject({ status: 'resolved', next_update_at: null });
    expect(entry?.incident_updates[0]?.body).toBe(
      'This incident has been resolved. Thank you for your patience.',
    );
    await expect(
      postIncidentUpdate(t.deps, { incidentId: i.incident.id, body: 'again' }, testActor),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('records every change in the audit log and the component status history', async () => {
    const c = await makeComponent(t.deps, { name: 'Queue' });
    const i = await makeIncident(t.deps, {
      components: [{ componentId: c.id, status: 'partial_outage' }],
    });
    const id = i.incident.id;
    // A minute between steps, so the log's order is the order things happened in.
    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      {
        incidentId: id,
        status: 'identified',
        body: 'Worse: the queue is down.',
        components: [{ componentId: c.id, status: 'major_outage' }],
      },
      testActor,
    );
    t.clock.advance(60_000);
    await changeIncidentPriority(
      t.deps,
      { incidentId: id, priority: 0, reason: 'Every customer is affected.' },
      testActor,
    );
    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      {
        incidentId: id,
        status: 'monitoring',
        body: 'Recovering.',
        components: [{ componentId: c.id, status: 'operational' }],
      },
      testActor,
    );
    t.clock.advance(60_000);
    await resolveIncident(t.deps, { incidentId: id }, testActor);
    const audit = await t.deps.db.query.auditLog.findMany({
      where: (a, { eq }) => eq(a.objectId, id),
      orderBy: (a, { asc }) => [asc(a.at)],
    });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ['incident.declare', testActor.label],
      ['incident.update', testActor.label],
      ['incident.change_priority', testActor.label],
      ['incident.update', testActor.label],
      // The all-clear replaces the support script with its closing version.
      ['incident.support_script', testActor.label],
      ['incident.resolve', testActor.label],
    ]);
    expect(audit.find((a) => a.action === 'incident.change_priority')).toMatchObject({
      before: expect.objectContaining({ priority: 1 }),
      after: expect.objectContaining({ priority: 0 }),
    });
    const history = await t.deps.db.query.componentStatusChanges.findMany({
      where: (h, { eq }) => eq(h.componentId, c.id),
      orderBy: (h, { asc }) => [asc(h.changedAt)],
    });
    expect(history.map((h) => [h.oldStatus, h.newStatus, h.incidentId])).toEqual([
      ['operational', 'partial_outage', id],
      ['partial_outage', 'major_outage', id],
      ['major_outage', 'operational', id],
    ]);
  });
});
