import { count } from 'drizzle-orm';
import { components } from '../../db/schema/index.ts';
import { createComponent } from '../domain/components/create-component.ts';
import { setComponentStatus } from '../domain/components/set-component-status.ts';
import { declareIncident } from '../domain/incidents/declare-incident.ts';
import type { DeclareIncidentInput, PostIncidentUpdateInput } from '../domain/incidents/inputs.ts';
import { postIncidentUpdate } from '../domain/incidents/post-incident-update.ts';
import { scheduleIncidentUpdate } from '../domain/incidents/schedule-update.ts';
import { scheduleMaintenance } from '../domain/maintenance/schedule-maintenance.ts';
import { type Actor } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';

const demoActor: Actor = { type: 'cli', id: null, label: 'demo seed', role: 'admin' };
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/**
 * One demo incident as it happened: declared at `start`, then each update the given minutes
 * after it, each on a clock set to its own time.
 */
async function demoIncident(
  at: (t: number) => DomainDeps,
  start: number,
  declare: DeclareIncidentInput,
  /** `after`: minutes after the declaration. */
  updates: (Omit<PostIncidentUpdateInput, 'incidentId'> & { after: number })[],
) {
  const declared = await declareIncident(at(start), declare, demoActor);
  for (const { after, ...update } of updates)
    await postIncidentUpdate(
      at(start + after * MIN),
      { incidentId: declared.incident.id, ...update },
      demoActor,
    );
  return declared;
}

/**
 * Seeds a realistic page on an empty database: component groups in several states, one
 * active P1 incident with three updates and a promised next update, two resolved incidents in
 * the past weeks and one upcoming maintenance window. Does nothing when components exist.
 */
export async function seedDemo(deps: DomainDeps): Promise<boolean> {
  const [row] = await deps.db.select({ n: count() }).from(components);
  if ((row?.n ?? 0) > 0) return false;
  const now = deps.clock.now().getTime();
  const at = (t: number): DomainDeps => ({ ...deps, clock: { now: () => new Date(t) } });
  const d = at(now - 30 * DAY);

  const website = await createComponent(d, { name: 'Website', isGroup: true }, demoActor);
  const marketing = await createComponent(
    d,
    { name: 'Marketing site', groupId: website.id },
    demoActor,
  );
  const webApp = await createComponent(
    d,
    { name: 'Web app', groupId: website.id, description: 'The dashboard at app.example.com' },
    demoActor,
  );
  const api = await createComponent(d, { name: 'API', isGroup: true }, demoActor);
  const restApi = await createComponent(d, { name: 'REST API', groupId: api.id }, demoActor);
  const webhooks = await createComponent(d, { name: 'Webhooks', groupId: api.id }, demoActor);
  const payments = await createComponent(d, { name: 'Payments', isGroup: true }, demoActor);
  const cards = await createComponent(
    d,
    { name: 'Card processing', groupId: payments.id },
    demoActor,
  );
  await createComponent(d, { name: 'Invoicing', groupId: payments.id }, demoActor);
  const email = await createComponent(
    d,
    { name: 'Email notifications', description: 'Receipts and alerts we send' },
    demoActor,
  );
  void marketing;

  // A P0 three weeks ago, resolved within the hour.
  await demoIncident(
    at,
    now - 20 * DAY - 3 * 60 * MIN,
    {
      title: 'API unavailable in the EU region',
      priority: 0,
      body: 'Requests to the REST API in the EU region are failing. We are investigating.',
      components: [{ componentId: restApi.id, status: 'major_outage' }],
      nextUpdateInMinutes: 15,
    },
    [
      {
        after: 12,
        status: 'identified',
        body: 'A failed configuration change took the EU load balancers down. We are rolling it back.',
        nextUpdateInMinutes: 15,
      },
      {
        after: 27,
        status: 'monitoring',
        body: 'The rollback is complete and requests are succeeding again. We are watching error rates.',
        components: [{ componentId: restApi.id, status: 'operational' }],
        nextUpdateInMinutes: 30,
      },
      {
        after: 55,
        status: 'resolved',
        body: 'This incident is resolved. Thank you for your patience; a post-mortem will follow.',
      },
    ],
  );
  // A P2 nine days ago.
  await demoIncident(
    at,
    now - 9 * DAY - 5 * 60 * MIN,
    {
      title: 'Dashboard slow to load',
      priority: 2,
      body: 'Some customers see the dashboard take more than ten seconds to load.',
      components: [{ componentId: webApp.id, status: 'degraded_performance' }],
    },
    [
      {
        after: 90,
        status: 'resolved',
        body: 'A slow database query was fixed; load times are back to normal.',
      },
    ],
  );
  // The active P1: three updates, a promise 20 minutes ahead.
  const p1 = await demoIncident(
    at,
    now - 40 * MIN,
    {
      title: 'Card payments failing for some customers',
      priority: 1,
      body: 'Some card payments are being declined at checkout. We are investigating.',
      internalNote: 'Support: offer invoice payment to customers who cannot wait.',
      components: [{ componentId: cards.id, status: 'partial_outage' }],
      nextUpdateInMinutes: 15,
    },
    [
      {
        after: 15,
        status: 'identified',
        body: 'Our card processor is rejecting a share of requests. We are working with them and retrying declined payments.',
        components: [{ componentId: webhooks.id, status: 'degraded_performance' }],
        nextUpdateInMinutes: 15,
      },
      {
        after: 30,
        body: 'Nothing to update. Still investigating with the processor. Next update in 20 minutes.',
        nextUpdateInMinutes: 20,
      },
    ],
  );

  await setComponentStatus(
    at(now - 2 * 60 * MIN),
    { componentId: email.id, status: 'degraded_performance' },
    demoActor,
  );

  // Next Sunday-ish, 02:00-04:00 UTC, at least two days ahead.
  const start = new Date(now + 3 * DAY);
  start.setUTCHours(2, 0, 0, 0);
  await scheduleMaintenance(
    deps,
    {
      title: 'Database upgrade',
      description:
        'We are upgrading our main database. The web app and the REST API will be read-only for up to two hours.',
      scheduledFor: start,
      scheduledUntil: new Date(start.getTime() + 2 * 60 * MIN),
      componentIds: [webApp.id, restApi.id],
    },
    demoActor,
  );

  // A follow-up written now that the scheduler publishes in 45 minutes (see /admin/scheduled).
  await scheduleIncidentUpdate(
    deps,
    {
      incidentId: p1.incident.id,
      status: 'monitoring',
      body: 'The processor has deployed a fix and declined payments are being retried automatically. We are watching closely.',
      scheduledFor: new Date(now + 45 * MIN),
      nextUpdateInMinutes: 30,
    },
    demoActor,
  );
  return true;
}
