import { messageIdHost } from '../domain/outbox/message-id.ts';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Deps } from '../deps.ts';
import { cachedResponse } from '../cache/cached.ts';
import type { MaintenanceJson, PageJson } from '../domain/status/statuspage-json.ts';
import { translatorFor } from '../i18n/catalogue.ts';
import { type Language, parseLanguage } from '../i18n/languages.ts';

/** Seconds the product (or a proxy in front of Herald) may reuse the switch's answer. */
export const SWITCH_MAX_AGE_SECONDS = 5;

/**
 * The iCalendar feed of upcoming and recent maintenance windows. Each event keeps a stable
 * UID (the window's id) and a SEQUENCE that grows with every change, so calendars update an
 * extended or moved window instead of adding a second one, and remove a cancelled one. Herald's
 * own words are in `lang`.
 */
export function renderMaintenanceCalendar(
  page: PageJson,
  windows: MaintenanceJson[],
  lang: Language = 'en',
): string {
  const { t, list } = translatorFor(lang);
  const cal = ical({
    name: t('ical.name', { page: page.name }),
    description: t('ical.description', { page: page.name }),
    prodId: { company: 'Herald', product: 'Herald status page', language: lang.toUpperCase() },
    method: ICalCalendarMethod.PUBLISH,
    url: `${page.url}/maintenance`,
    ttl: 60 * 60,
  });
  const host = messageIdHost(page.url);
  for (const w of windows) {
    const latest = w.incident_updates[0];
    cal.createEvent({
      id: `${w.id}@${host}`,
      sequence: w.incident_updates.length,
      start: new Date(w.scheduled_for),
      end: new Date(w.scheduled_until),
      stamp: new Date(w.updated_at),
      lastModified: new Date(w.updated_at),
      created: new Date(w.created_at),
      summary: w.status === 'completed' ? t('ical.completed', { name: w.name }) : w.name,
      description: [
        w.components.length
          ? t('common.affected', { names: list(w.components.map((c) => c.name)) })
          : '',
        latest ? latest.body : '',
        t('ical.details', { url: w.shortlink }),
      ]
        .filter(Boolean)
        .join('\n\n'),
      url: w.shortlink,
      // Calendar apps drop an event they hold when the same UID comes back CANCELLED.
      status: w.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return cal.toString();
}

/** `/api/maintenance` (the product's own switch, polled) and `/maintenance.ics`. */
export function maintenancePublicRoutes(deps: Deps) {
  const app = new Hono();
  app.use('/api/maintenance', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'] }));
  app.get('/api/maintenance', async (c) => {
    // One indexed single-row read: cheap enough to answer fresh, and the short max-age lets a
    // load balancer poll every few seconds without every poll reaching Herald.
    const s = await deps.reader.maintenanceSwitch();
    c.header('Cache-Control', `public, max-age=${SWITCH_MAX_AGE_SECONDS}`);
    if (!s.active) return c.json({ active: false });
    return c.json({ active: true, message: s.message, until: s.until, since: s.since });
  });
  // As the feeds: `?lang=de` picks the language, else the page's default; never a reader's
  // headers, since the URL is what people share and subscribe to.
  app.get('/maintenance.ics', (c) =>
    cachedResponse(c, deps, 'text/calendar; charset=utf-8', async () => {
      const { page, scheduled_maintenances } = await deps.reader.maintenances('calendar');
      const lang = parseLanguage(c.req.query('lang')) ?? (await deps.reader.defaultLanguage());
      return renderMaintenanceCalendar(page, scheduled_maintenances, lang);
    }),
  );
  return app;
}
