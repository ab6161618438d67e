import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, incidentFollowers, settings } from '../../db/schema/index.ts';
import { listAudit } from '../../server/domain/audit/list-audit.ts';
import { createApiToken, revokeApiToken } from '../../server/domain/auth/api-tokens.ts';
import { createComponent } from '../../server/domain/components/create-component.ts';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import {
  deleteComponent,
  moveComponent,
  updateComponent,
} from '../../server/domain/components/update-component.ts';
import { changeIncidentOwner } from '../../server/domain/incidents/change-incident-owner.ts';
import { changeIncidentPriority } from '../../server/domain/incidents/change-incident-priority.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../../server/domain/incidents/edit-scheduled-update.ts';
import { postHoldingUpdate, setAutoHolding } from '../../server/domain/incidents/holding-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import {
  scheduleIncident,
  scheduleIncidentUpdate,
} from '../../server/domain/incidents/schedule-update.ts';
import { completeMaintenance } from '../../server/domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../../server/domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../../server/domain/settings/switch-maintenance.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { updateList } from '../../server/domain/lists/update-list.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { ForbiddenError } from '../../server/domain/shared/errors.ts';
import {
  removeSubscriber,
  searchSubscribers,
} from '../../server/domain/subscribers/admin-subscribers.ts';
import { publicActor } from '../../server/domain/subscribers/public-actor.ts';
import { importSubscribers } from '../../server/domain/subscribers/import-subscribers.ts';
import { removeIncidentFollower } from '../../server/domain/subscribers/admin-followers.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { setUserPassword, updateUser } from '../../server/domain/users/update-user.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The routes check roles too, but the verbs are what the CLI, the forms and the API share:
// these tests call the verbs directly, so a route that forgot its requireRole still cannot
// let a responder do an admin's work.
describe('role checks inside the domain verbs', () => {
  let t: TestContext;
  let admin: Actor;
  let responder: Actor;
  beforeAll(async () => {
    t = await createTestContext();
    const bootstrap: Actor = { type: 'cli', id: null, label: 'setup', role: 'admin' };
    const a = await createUser(
      t.deps,
      { email: 'ada@example.com', role: 'admin', password: 'correct horse battery' },
      bootstrap,
    );
    const r = await createUser(
      t.deps,
      { email: 'rita@example.com', role: 'responder', password: 'correct horse battery' },
      bootstrap,
    );
    admin = { type: 'user', id: a.id, label: a.email, role: 'admin' };
    responder = { type: 'user', id: r.id, label: r.email, role: 'responder' };
  });
  afterAll(() => t.close());

  /** What any write leaves behind: an audit entry and a bumped change counter. */
  async function footprint() {
    const [a] = await t.deps.db.select({ n: count() }).from(auditLog);
    const [s] = await t.deps.db.select({ c: settings.changeCounter }).from(settings);
    return { audit: a?.n ?? 0, changes: s?.c ?? 0 };
  }

  type Verb = (actor: Actor) => Promise<unknown>;
  const random = () => Math.random().toString(36).slice(2);

  /** Each admin verb: the setup makes fresh data of its own, the verb is then called as `actor`. */
  const adminVerbs: Record<string, () => Promise<Verb>> = {
    createComponent: async () => (actor) =>
      createComponent(t.deps, { name: `Billing ${random()}` }, actor),
    updateComponent: async () => {
      const c = await makeComponent(t.deps);
      return (actor) =>
        updateComponent(t.deps, { componentId: c.id, name: `R ${random()}` }, actor);
    },
    moveComponent: async () => {
      await makeComponent(t.deps);
      const c = await makeComponent(t.deps);
      return (actor) => moveComponent(t.deps, { componentId: c.id, direction: 'up' }, actor);
    },
    deleteComponent: async () => {
      const c = await makeComponent(t.deps);
      return (actor) => deleteComponent(t.deps, { componentId: c.id }, actor);
    },
    createUser: async () => (actor) =>
      createUser(
        t.deps,
        {
          email: `new-${random()}@example.com`,
          role: 'responder',
          password: 'correct horse battery',
        },
        actor,
      ),
    updateUser: async () => (actor) =>
      updateUser(t.deps, { userId: responder.id!, name: `Rita ${random()}` }, actor),
    setUserPassword: async () => {
      const other = await createUser(
        t.deps,
        {
          email: `other-${random()}@example.com`,
          role: 'responder',
          password: 'correct horse battery',
        },
        admin,
      );
      return (actor) =>
        setUserPassword(t.deps, { userId: other.id, password: 'another long password' }, actor);
    },
    createApiToken: async () => (actor) =>
      createApiToken(t.deps, { name: `bot ${random()}`, role: 'responder' }, actor),
    revokeApiToken: async () => {
      const tok = await createApiToken(
        t.deps,
        { name: `old bot ${random()}`, role: 'responder' },
        admin,
      );
      return (actor) => revokeApiToken(t.deps, { tokenId: tok.token.id }, actor);
    },
    updateSettings: async () => (actor) =>
      updateSettings(t.deps, { pageName: `Acme ${random()}` }, actor),
    createList: async () => (actor) => createList(t.deps, { name: `Partners ${random()}` }, actor),
    updateList: async () => {
      const l = await listBySlug(t.deps, 'customers');
      return (actor) =>
        updateList(t.deps, { listId: l.id, name: 'Customers', description: random() }, actor);
    },
    importSubscribers: async () => {
      const l = await listBySlug(t.deps, 'customers');
      return (actor) =>
        importSubscribers(
          t.deps,
          { listId: l.id, csv: `email\nimported-${random()}@example.org\n` },
          actor,
        );
    },
    removeSubscriber: async () => {
      const s = await makeConfirmedSubscriber(t.deps, `leaving-${random()}@example.org`);
      return (actor) => removeSubscriber(t.deps, { subscriberId: s.id }, actor);
    },
    removeIncidentFollower: async () => {
      const { incident } = await makeIncident(t.deps, {
        priority: 1,
        title: `Followed ${random()}`,
      });
      const followerId = `f${random()}`.replace(/[^a-z0-9]/g, '').slice(0, 24);
      const now = t.clock.now();
      await t.deps.db.insert(incidentFollowers).values({
        id: followerId,
        incidentId: incident.id,
        email: `${followerId}@example.org`,
        state: 'confirmed',
        createdAt: now,
        confirmedAt: now,
        updatedAt: now,
      });
      return (actor) =>
        removeIncidentFollower(t.deps, { incidentId: incident.id, followerId }, actor);
    },
  };

  for (const [name, setup] of Object.entries(adminVerbs)) {
    it(`${name} refuses a responder and a visitor and changes nothing, and lets an admin`, async () => {
      const run = await setup();
      const before = await footprint();
      await expect(run(responder)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(run(publicActor)).rejects.toBeInstanceOf(ForbiddenError);
      expect(await footprint()).toEqual(before);
      await expect(run(admin)).resolves.toBeDefined();
      expect((await footprint()).audit).toBe(before.audit + 1);
    });
  }

  it('listAudit and searchSubscribers are for admins only', async () => {
    await makeConfirmedSubscriber(t.deps, 'findme@example.org');
    await expect(listAudit(t.deps, {}, responder)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(searchSubscribers(t.deps, { q: 'findme' }, responder)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const entries = await listAudit(t.deps, { actor: 'ada@example.com' }, admin);
    expect(entries.length).toBeGreaterThan(0);
    const found = await searchSubscribers(t.deps, { q: 'findme' }, admin);
    expect(found.subscribers.map((s) => s.email)).toEqual(['findme@example.org']);
  });

  const soon = () => new Date(t.clock.now().getTime() + 10 * 60_000);
  const later = () => new Date(t.clock.now().getTime() + 60 * 60_000);
  const incidentFor = async () =>
    (await makeIncident(t.deps, { priority: 2, title: `Visitor ${random()}` })).incident.id;
  const scheduledFor = async () => {
    const incidentId = await incidentFor();
    return (
      await scheduleIncidentUpdate(
        t.deps,
        { incidentId, body: 'Soon.', scheduledFor: soon() },
        admin,
      )
    ).id;
  };
  const windowFor = async (start = false) => {
    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'Reindex',
        description: 'Reindexing.',
        scheduledFor: soon(),
        scheduledUntil: later(),
      },
      admin,
    );
    if (start) await startMaintenance(t.deps, { maintenanceId: m.id }, admin);
    return m.id;
  };

  /** Each responder verb: a visitor (the public pages' actor) is refused, a responder is not. */
  const responderVerbs: Record<string, () => Promise<Verb>> = {
    declareIncident: async () => (actor) =>
      declareIncident(t.deps, { title: 'Declared', priority: 2, body: 'x' }, actor),
    postIncidentUpdate: async () => {
      const incidentId = await incidentFor();
      return (actor) => postIncidentUpdate(t.deps, { incidentId, body: 'Later.' }, actor);
    },
    resolveIncident: async () => {
      const incidentId = await incidentFor();
      return (actor) => resolveIncident(t.deps, { incidentId }, actor);
    },
    changeIncidentPriority: async () => {
      const incidentId = await incidentFor();
      return (actor) =>
        changeIncidentPriority(t.deps, { incidentId, priority: 1, reason: 'Because.' }, actor);
    },
    changeIncidentOwner: async () => {
      const incidentId = await incidentFor();
      return (actor) => changeIncidentOwner(t.deps, { incidentId, ownerId: responder.id }, actor);
    },
    postHoldingUpdate: async () => {
      const incidentId = await incidentFor();
      return (actor) => postHoldingUpdate(t.deps, { incidentId }, actor);
    },
    setAutoHolding: async () => {
      const incidentId = await incidentFor();
      return (actor) => setAutoHolding(t.deps, { incidentId, autoHolding: true }, actor);
    },
    scheduleIncidentUpdate: async () => {
      const incidentId = await incidentFor();
      return (actor) =>
        scheduleIncidentUpdate(t.deps, { incidentId, body: 'Soon.', scheduledFor: soon() }, actor);
    },
    scheduleIncident: async () => (actor) =>
      scheduleIncident(
        t.deps,
        { title: 'Planned', priority: 2, body: 'x', scheduledFor: soon() },
        actor,
      ),
    editScheduledUpdate: async () => {
      const updateId = await scheduledFor();
      return (actor) => editScheduledUpdate(t.deps, { updateId, body: 'Edited.' }, actor);
    },
    cancelScheduledUpdate: async () => {
      const updateId = await scheduledFor();
      return (actor) => cancelScheduledUpdate(t.deps, { updateId }, actor);
    },
    setComponentStatus: async () => {
      const c = await makeComponent(t.deps);
      return (actor) =>
        setComponentStatus(t.deps, { componentId: c.id, status: 'partial_outage' }, actor);
    },
    scheduleMaintenance: async () => (actor) =>
      scheduleMaintenance(
        t.deps,
        { title: 'Work', description: 'Work.', scheduledFor: soon(), scheduledUntil: later() },
        actor,
      ),
    startMaintenance: async () => {
      const maintenanceId = await windowFor();
      return (actor) => startMaintenance(t.deps, { maintenanceId }, actor);
    },
    extendMaintenance: async () => {
      const maintenanceId = await windowFor(true);
      return (actor) =>
        extendMaintenance(
          t.deps,
          { maintenanceId, scheduledUntil: new Date(later().getTime() + 3_600_000) },
          actor,
        );
    },
    completeMaintenance: async () => {
      const maintenanceId = await windowFor(true);
      return (actor) => completeMaintenance(t.deps, { maintenanceId }, actor);
    },
    switchMaintenanceOn: async () => (actor) =>
      switchMaintenanceOn(t.deps, { message: 'Back soon.' }, actor),
    switchMaintenanceOff: async () => {
      await switchMaintenanceOn(t.deps, { message: 'Back soon.' }, admin);
      return (actor) => switchMaintenanceOff(t.deps, {}, actor);
    },
  };

  for (const [name, setup] of Object.entries(responderVerbs)) {
    it(`${name} refuses a visitor and changes nothing, and lets a responder`, async () => {
      const run = await setup();
      const before = await footprint();
      await expect(run(publicActor)).rejects.toBeInstanceOf(ForbiddenError);
      expect(await footprint()).toEqual(before);
      await expect(run(responder)).resolves.toBeDefined();
      expect((await footprint()).audit).toBeGreaterThan(before.audit);
    });
  }
});
