import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { completeMaintenance } from '../../server/domain/maintenance/complete-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import { readDailyUptime, readMonthlyUptime } from '../../server/domain/uptime/read-uptime.ts';
import { LANGUAGE_TAGS } from '../../server/i18n/languages.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { seedNinetyDays } from '../helpers/uptime-history.ts';

// A known history, in UTC (the page's default zone):
//   API created 2026-11-10 06:00.
//   Nov 15 10:00-10:30 major outage (incident "API down"), then a partial outage that runs
//   past midnight until the incident is resolved on Nov 16 at 01:00.
//   Nov 17 01:00-02:00 planned maintenance "DB upgrade".
//   Web created 2026-11-20 00:00, never disrupted. Both in the group "Platform".
// Now: 2026-11-21 12:00.
describe('uptime bars from the status history', () => {
  let s: ServerContext;
  let apiId = '';
  let webId = '';
  let groupId = '';
  let incidentId = '';

  beforeAll(async () => {
    s = await startTestServer();
    const at = (iso: string) => s.clock.set(iso);
    at('2026-11-10T06:00:00.000Z');
    const group = await makeComponent(s.deps, { name: 'Platform', isGroup: true });
    groupId = group.id;
    apiId = (await makeComponent(s.deps, { name: 'API', groupId })).id;
    at('2026-11-15T10:00:00.000Z');
    const inc = await makeIncident(s.deps, {
      title: 'API down',
      priority: 1,
      body: 'The API answers 503.',
      components: [{ componentId: apiId, status: 'major_outage' }],
    });
    incidentId = inc.incident.id;
    at('2026-11-15T10:30:00.000Z');
    await setComponentStatus(s.deps, { componentId: apiId, status: 'partial_outage' }, testActor);
    at('2026-11-16T01:00:00.000Z');
    await resolveIncident(s.deps, { incidentId }, testActor);
    at('2026-11-16T12:00:00.000Z');
    const m = await scheduleMaintenance(
      s.deps,
      {
        title: 'DB upgrade',
        description: 'Upgrading the database.',
        scheduledFor: '2026-11-17T01:00:00.000Z',
        scheduledUntil: '2026-11-17T02:00:00.000Z',
        componentIds: [apiId],
        notify: false,
      },
      testActor,
    );
    at('2026-11-17T01:00:00.000Z');
    await startMaintenance(s.deps, { maintenanceId: m.id }, testActor);
    at('2026-11-17T02:00:00.000Z');
    await completeMaintenance(s.deps, { maintenanceId: m.id }, testActor);
    at('2026-11-20T00:00:00.000Z');
    webId = (await makeComponent(s.deps, { name: 'Web', groupId })).id;
    at('2026-11-21T12:00:00.000Z');
  });
  afterAll(() => s.close());

  it('computes minutes per status, the worst colour and the percentage of each day', async () => {
    const rows = await readDailyUptime(s.deps.db, s.clock.now(), 'Etc/UTC', 90);
    const api = rows.find((r) => r.id === apiId)!;
    expect(api.days).toHaveLength(90);
    expect(api.days.at(-1)!.date).toBe('2026-11-21');
    expect(api.days[0]!.date).toBe('2026-08-24');
    const day = (d: string) => api.days.find((x) => x.date === d)!;

    // Before the component existed: no data.
    expect(day('2026-11-09')).toMatchObject({ worst: null, uptime_percent: null });
    expect(day('2026-11-10')).toMatchObject({ worst: 'operational', uptime_percent: 100 });

    // 30 min major + 810 min partial (partial weighs 30 %): 273 min down of 1440.
    expect(day('2026-11-15')).toMatchObject({
      worst: 'major_outage',
      uptime_percent: 81.04,
      minutes: {
        major_outage: 30,
        partial_outage: 13 * 60 + 30,
        degraded_performance: 0,
        under_maintenance: 0,
      },
    });
    expect(day('2026-11-15').causes).toEqual([
      { id: incidentId, kind: 'incident', title: 'API down' },
    ]);
    // The partial outage runs past midnight into the next day.
    expect(day('2026-11-16')).toMatchObject({
      worst: 'partial_outage',
      uptime_percent: 98.75,
      minutes: { major_outage: 0, partial_outage: 60 },
    });
    // Maintenance is shown apart and is no downtime.
    expect(day('2026-11-17')).toMatchObject({
      worst: 'under_maintenance',
      uptime_percent: 100,
      minutes: { under_maintenance: 60, major_outage: 0, partial_outage: 0 },
    });
    expect(day('2026-11-17').causes.map((c) => [c.kind, c.title])).toEqual([
      ['maintenance', 'DB upgrade'],
    ]);
    // 18 h on Nov 10, Nov 11-20 in full, 12 h today: 16,200 min known, 30 + 0.3 × 870 down.
    expect(api.uptime_percent).toBe(98.2);
  });

  it('rolls a group up from its components: worst colour, mean percentage', async () => {
    const rows = await readDailyUptime(s.deps.db, s.clock.now(), 'Etc/UTC', 90);
    const group = rows.find((r) => r.id === groupId)!;
    const web = rows.find((r) => r.id === webId)!;
    expect(group.group).toBe(true);
    expect(group.days.find((d) => d.date === '2026-11-15')).toMatchObject({
      worst: 'major_outage',
      uptime_percent: 81.04,
    });
    expect(web.days.find((d) => d.date === '2026-11-19')!.worst).toBeNull();
    expect(group.days.find((d) => d.date === '2026-11-21')).toMatchObject({
      worst: 'operational',
      uptime_percent: 100,
    });
    expect(group.uptime_percent).toBe(
      Math.round(((rows.find((r) => r.id === apiId)!.uptime_percent! + 100) / 2) * 100) / 100,
    );
  });

  it('counts days in the page time zone', async () => {
    // In New York (UTC-5) the outage starts on Nov 15 05:00 and the partial outage ends at
    // 20:00 on Nov 15: all of it falls on one local day.
    const rows = await readDailyUptime(s.deps.db, s.clock.now(), 'America/New_York', 90);
    const api = rows.find((r) => r.id === apiId)!;
    const d15 = api.days.find((d) => d.date === '2026-11-15')!;
    expect(d15.minutes).toMatchObject({ major_outage: 30, partial_outage: 14 * 60 + 30 });
    expect(api.days.find((d) => d.date === '2026-11-16')!.minutes.partial_outage).toBe(0);
  });

  it('gives monthly figures for the last 12 months', async () => {
    const rows = await readMonthlyUptime(s.deps.db, s.clock.now(), 'Etc/UTC', 12);
    const api = rows.find((r) => r.id === apiId)!;
    expect(api.days.map((d) => d.date)).toEqual([
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
    ]);
    expect(api.days[10]!.uptime_percent).toBeNull();
    expect(api.days[11]!.uptime_percent).toBe(api.uptime_percent);
  });

  it('GET /api/uptime.json gives the same numbers with CORS *', async () => {
    const res = await fetch(`${s.url}/api/uptime.json?days=90`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as {
      components: {
        id: string;
        name: string;
        uptime_percent: number;
        days: { date: string; uptime_percent: number | null; minutes: Record<string, number> }[];
      }[];
    };
    const api = body.components.find((c) => c.id === apiId)!;
    expect(api.name).toBe('API');
    expect(api.days).toHaveLength(90);
    expect(api.days.find((d) => d.date === '2026-11-15')).toMatchObject({
      uptime_percent: 81.04,
      minutes: {
        major_outage: 30,
        partial_outage: 810,
        degraded_performance: 0,
        under_maintenance: 0,
      },
    });
    const week = await fetch(`${s.url}/api/uptime.json?days=7`);
    const w = (await week.json()) as { components: { days: unknown[] }[] };
    expect(w.components[0]!.days).toHaveLength(7);
  });

  it('GET /api/uptime.json refuses days that are not a whole number from 1 to 90', async () => {
    for (const q of [
      'days=0',
      'days=91',
      'days=abc',
      'days=1.5',
      'days=07',
      'days=',
      'days=1&days=2',
      'day=5',
    ]) {
      const res = await fetch(`${s.url}/api/uptime.json?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_query');
    }
  });

  it('the home page shows the bars with per-day details, and /uptime the months', async () => {
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).toContain(
      'title="Nov 15, 2026: Major outage 30 min, Partial outage 13 h 30 min (API down)"',
    );
    expect(html).toContain(
      'class="u-under_maintenance" title="Nov 17, 2026: Under maintenance 1 h"',
    );
    expect(html).toContain('title="Nov 9, 2026: No data"');
    expect(html).toMatch(
      /<details class="uptime-days">\s*<summary>3 days with disruption or maintenance<\/summary>/,
    );
    expect(html).toContain('<strong>Nov 16, 2026</strong>: Partial outage 1 h');
    expect(html).toContain(`<a href="/incidents/${incidentId}">API down</a>`);
    const uptime = await (await fetch(`${s.url}/uptime`)).text();
    expect(uptime).toContain('<th scope="row">· API</th>');
    expect(uptime).toContain('November 2026');
  });

  it("the bars' hover text and /uptime's monthly table are in the reader's language", async () => {
    const home = await (await fetch(`${s.url}/?lang=de`)).text();
    expect(home).toContain(
      'title="15. Nov. 2026: Schwerer Ausfall 30 Min. und Teilausfall 13 Std. 30 Min. (API down)"',
    );
    expect(home).toContain('title="9. Nov. 2026: Keine Daten"');
    expect(home).toContain('<strong>16. Nov. 2026</strong>: Teilausfall 1 Std.');
    const de = await (await fetch(`${s.url}/uptime?lang=de`)).text();
    expect(de).toContain('<th scope="col">Komponente</th>');
    expect(de).toContain('<th scope="col">November 2026</th>');
    expect(de).toMatch(/<td title="Keine Daten">Keine Daten<\/td>/);
    expect(de).toMatch(/<td title="[^"]*">\d{2,3},\d{2}\s%<\/td>/);
    expect(de).not.toContain('Monthly uptime');
    const ja = await (await fetch(`${s.url}/uptime?lang=ja`)).text();
    expect(ja).toContain('<th scope="col">2026年11月</th>');
    expect(ja).toContain('<caption class="muted">月ごとの稼働率');
    const ar = await (await fetch(`${s.url}/?lang=ar`)).text();
    expect(ar).toContain('title="15 نوفمبر 2026: انقطاع كبير 30 د');
  });
});

describe('home page size', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer();
    await seedNinetyDays(s);
  });
  afterAll(() => s.close());

  it('stays under 30 KB compressed with bars for 10 components', async () => {
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html.match(/<div class="bars"/g)).toHaveLength(10);
    const size = gzipSync(Buffer.from(html)).length;
    expect(size).toBeLessThan(30 * 1024);
  });

  it('every public page stays under 30 KB compressed in every language', async () => {
    const { incident } = await makeIncident(s.deps, {
      priority: 1,
      title: 'Checkout is slow',
      body: 'We are looking into slow checkouts.',
    });
    const paths = ['/', '/history', '/maintenance', '/uptime', `/incidents/${incident.id}`];
    for (const lang of LANGUAGE_TAGS) {
      for (const path of paths) {
        const res = await fetch(`${s.url}${path}?lang=${lang}`);
        expect(res.status, `${lang} ${path}`).toBe(200);
        const html = await res.text();
        expect(html, `${lang} ${path}`).toContain(`<html lang="${lang}"`);
        const size = gzipSync(Buffer.from(html)).length;
        expect(size, `${lang} ${path}: ${size} bytes compressed`).toBeLessThan(30 * 1024);
      }
    }
  });
});
