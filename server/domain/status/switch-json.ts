import type { MaintenanceJson, PageJson } from './statuspage-json.ts';

/** The id the maintenance switch carries when shown as a maintenance in the v2 JSON. */
export const SWITCH_MAINTENANCE_ID = 'maintenance-switch';

/**
 * The emergency maintenance switch as an in-progress Statuspage maintenance, so widgets and
 * clients that only read summary.json or active.json see what the page's banner says. The
 * format requires `scheduled_until`; an open-ended switch reports its start there.
 */
export function switchMaintenanceJson(
  page: PageJson,
  sw: { message: string | null; since: string | null; until: string | null },
): MaintenanceJson {
  const since = sw.since ?? new Date(0).toISOString();
  const body = sw.message ?? `${page.name} is under maintenance.`;
  return {
    id: SWITCH_MAINTENANCE_ID,
    name: 'Maintenance under way',
    status: 'in_progress',
    impact: 'maintenance',
    created_at: since,
    updated_at: since,
    started_at: since,
    monitoring_at: null,
    resolved_at: null,
    shortlink: `${page.url.replace(/\/$/, '')}/maintenance`,
    page_id: page.id,
    incident_updates: [
      {
        id: `${SWITCH_MAINTENANCE_ID}-update`,
        status: 'in_progress',
        body,
        incident_id: SWITCH_MAINTENANCE_ID,
        created_at: since,
        updated_at: since,
        display_at: since,
        affected_components: null,
        deliver_notifications: false,
        custom_tweet: null,
        tweet_id: null,
        status_changed: true,
        holding: false,
        next_update_at: null,
        translations: null,
      },
    ],
    components: [],
    next_update_at: null,
    next_update_late: false,
    is_drill: false,
    kind: 'maintenance',
    scheduled_for: since,
    scheduled_until: sw.until ?? since,
    postmortem_body: null,
    postmortem_body_last_updated_at: null,
    postmortem_published_at: null,
  };
}
