import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { roleForAdminPath } from '../../server/http/admin-pages.ts';
import { api } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';

/**
 * Every GET of the admin API and the admin page that shows the same thing: the API answers "the
 * same roles as the pages" (docs/api.md). A new GET row must be added here, with its page.
 */
const pageOf: Record<string, string> = {
  '/me': '/admin/account',
  '/settings': '/admin/settings',
  '/users': '/admin/users',
  '/tokens': '/admin/tokens',
  '/audit': '/admin/audit',
  '/components': '/admin/components',
  '/incidents': '/admin/incidents',
  '/incidents/{id}': '/admin/incidents/{id}',
  '/incidents/{id}/promises': '/admin/incidents/{id}/promises',
  '/scheduled-updates': '/admin/scheduled',
  '/scheduled-updates/{id}': '/admin/scheduled/{id}',
  '/maintenance': '/admin/maintenance',
  '/maintenance/{id}': '/admin/maintenance/{id}',
  '/maintenance-switch': '/admin/switch',
  '/lists': '/admin/lists',
  '/subscribers': '/admin/subscribers',
  '/lists/{id}/imports': '/admin/lists/{id}',
  '/lists/{id}/imports/{importId}': '/admin/lists/{id}/imports/{importId}',
  '/broadcasts': '/admin/broadcasts',
  '/broadcasts/{id}': '/admin/broadcasts/{id}',
  '/webhooks': '/admin/webhooks',
  '/webhooks/{id}': '/admin/webhooks/{id}',
  '/reports': '/admin/reports',
  '/reports/{id}': '/admin/reports/{id}',
  '/reports-budget': '/admin/reports',
  '/components/{id}/runbook': '/admin/runbooks/{id}',
  '/incidents/{id}/support-script': '/admin/incidents/{id}/support-script',
  '/drills': '/admin/drills',
  '/drills/{id}/scorecard': '/admin/drills/{id}',
  '/alert-rules': '/admin/alert-rules',
  '/incidents/{id}/record': '/admin/incidents/{id}/record',
  // The record page lists the incident's action items and its follow-up; the dashboard (/admin)
  // the overdue items and the follow-ups due.
  '/action-items': '/admin/incidents/{id}/record',
  '/incidents/{id}/postmortem': '/admin/incidents/{id}/postmortem',
  '/incidents/{id}/postmortem/publication': '/admin/incidents/{id}/postmortem',
  '/incidents/{id}/follow-up': '/admin/incidents/{id}/record',
  '/follow-ups': '/admin',
  '/look-back': '/admin/look-back',
  '/audiences': '/admin/audiences',
};

// A viewer "reads the internal view (notes, support scripts, runbooks, reports, drills)"
// (docs/using.md), and the admin API has "the same roles as the pages" (docs/api.md).
describe('a viewer API token reads what a viewer reads', () => {
  let t: TestContext;
  let incidentId: string;
  beforeAll(async () => {
    t = await createTestContext();
    incidentId = ((await makeIncident(t.deps)) as { incident: { id: string } }).incident.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function viewerToken() {
    const { secret } = await createApiToken(
      t.deps,
      { name: 'wallboard', role: 'viewer' },
      testActor,
    );
    return api(t, secret);
  }

  it('GET /api/admin/me tells a viewer token who it acts as instead of refusing it', async () => {
    const call = await viewerToken();
    const me = await call.get('/api/admin/me');
    expect(me.status).toBe(200);
    expect(me.json.actor.role).toBe('viewer');
  });

  it('GET /api/admin/incidents, /incidents/{id} and /incidents/{id}/record answer a viewer token, as their pages do a viewer', async () => {
    const call = await viewerToken();
    const list = await call.get('/api/admin/incidents');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).toContain(incidentId);
    expect((await call.get(`/api/admin/incidents/${incidentId}`)).status).toBe(200);
    const record = await call.get(`/api/admin/incidents/${incidentId}/record`);
    expect(record.status).toBe(200);
  });

  it('every GET of the admin API answers a viewer token exactly when its admin page lets a viewer in', async () => {
    const doc = (await api(t, null).get('/api/admin/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const gets = Object.keys(doc.paths)
      .filter((p) => doc.paths[p]!.get)
      .map((p) => p.replace(/^\/api\/admin/, ''));
    expect(gets.filter((p) => !(p in pageOf))).toEqual([]);
    const call = await viewerToken();
    const mismatches: string[] = [];
    for (const path of gets) {
      // Path ids are a real incident's: a row a viewer may read answers 200 or 404, never 403.
      const url = `/api/admin${path.replace(/\{\w+\}/g, incidentId)}`;
      const page = pageOf[path]!.replace(/\{\w+\}/g, incidentId);
      const pageLetsViewerIn = roleForAdminPath(page) === 'viewer';
      const { status } = await call.get(url);
      if (pageLetsViewerIn !== (status !== 403))
        mismatches.push(`${path}: page ${page} (${roleForAdminPath(page)}), API ${status}`);
    }
    expect(mismatches).toEqual([]);
  });
});
