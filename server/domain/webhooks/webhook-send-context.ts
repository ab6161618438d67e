import type { Db } from '../../../db/client.ts';
import {
  type ComponentStatus,
  type WebhookKind,
  incidentUpdates,
  maintenanceStates,
  webhooks,
  webhookSignups,
} from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { incidentSubject, publicSubject } from '../shared/subjects.ts';
import {
  type MaintenanceNoticeKind,
  maintenanceSubject,
  windowSpanUtc,
} from '../shared/maintenance-subject.ts';
import { formatClock, formatLong } from '../shared/zoned-time.ts';
import { componentStatusLabels, statusLabel } from '../status/labels.ts';
import {
  readComponents,
  readIncident,
  readMaintenance,
  readPage,
  readUnresolvedIncidents,
} from '../status/read-status.ts';
import { PUBLIC_SCOPE } from '../status/incident-scope.ts';
import { readPriorities } from '../status/read-management.ts';
import {
  type ComponentJson,
  type IncidentJson,
  type MaintenanceJson,
  rollUp,
} from '../status/statuspage-json.ts';
import { linkKey, webhookManageToken } from '../subscribers/tokens.ts';
import { readStoredSupportScripts, supportScriptTemplate } from '../support/support-script.ts';
import { openSecret } from './secret-box.ts';
import { inJsonList } from '../shared/in-list.ts';

export interface ClaimedWebhookDelivery {
  id: string;
  webhook_id: string;
  event: string;
  ref: string;
  attempts: number;
  /** When the event was queued (epoch ms): a delivery held back by an outage says so. */
  created_at: number;
}

/** What a chat channel shows of one event; every text is plain here and escaped per format. */
export interface ChatMessage {
  /**
   * "PRIORITY 1 ISSUE UPDATE: API IS DOWN" in an internal channel, "Partial outage: API is down"
   * in any other, "[DRILL] ...", "API: Major outage".
   */
  headline: string;
  status: string;
  body: string;
  /** Internal channels only: the update's internal note. */
  internalNote: string | null;
  /** Internal channels only: what support and sales tell customers. */
  supportScript: string | null;
  components: string[];
  /** A maintenance window, in the page's zone and in UTC; null for anything else. */
  window: string | null;
  /** "14:30 UTC", or null without a promise. */
  nextUpdateBy: string | null;
  url: string;
  /** A colour for the kinds that have one: the worst state involved. */
  severity: 'critical' | 'major' | 'minor' | 'ok' | 'maintenance' | 'info';
}

/** What one POST needs: where, how it may connect, the body and the signing secret. */
export interface WebhookRequest {
  deliveryId: string;
  webhookId: string;
  url: string;
  allowPrivate: boolean;
  secret: string;
  body: string;
}

/**
 * One claimed delivery read for sending: where it goes and what it says, both as the Statuspage
 * envelope and as a chat message; the delivery wing renders the one the webhook's kind takes.
 */
export interface WebhookMessage extends Omit<WebhookRequest, 'body'> {
  kind: WebhookKind;
  envelope: Record<string, unknown>;
  chat: ChatMessage;
}

const severityOf: Record<ComponentStatus, ChatMessage['severity']> = {
  operational: 'ok',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
  under_maintenance: 'maintenance',
};
const impactSeverity: Record<string, ChatMessage['severity']> = {
  none: 'info',
  minor: 'minor',
  major: 'major',
  critical: 'critical',
  maintenance: 'maintenance',
};

/** The incident as it was when this update went out: later updates are left out. */
function asOf<T extends IncidentJson>(incident: T, updateId: string | null): T {
  const i = incident.incident_updates.findIndex((u) => u.id === updateId);
  return i < 0 ? incident : { ...incident, incident_updates: incident.incident_updates.slice(i) };
}

/**
 * Reads what claimed deliveries say at send time: the Statuspage webhook envelope and the chat
 * message, as things are now for the webhook's audience. Null for a delivery whose webhook
 * is gone, or whose incident is no longer public (skip it). A paused webhook's head is sent: it
 * is the probe whose success resumes it.
 */
export async function readWebhookMessages(
  db: Db,
  config: Pick<Config, 'publicUrl' | 'secretKey' | 'webhookAllowPrivate'>,
  claimed: ClaimedWebhookDelivery[],
  now: Date,
): Promise<Map<string, WebhookMessage | { unreadable: string } | null>> {
  const out = new Map<string, WebhookMessage | { unreadable: string } | null>();
  if (claimed.length === 0) return out;
  const page = await readPage(db, config.publicUrl);
  const all = await readComponents(db, page);
  const status = rollUp(all, await readUnresolvedIncidents(db, page, all, PUBLIC_SCOPE));
  const master = await linkKey(db, config);
  const claimedIds = [...new Set(claimed.map((c) => c.webhook_id))];
  const hooks = new Map(
    (await db.select().from(webhooks).where(inJsonList(webhooks.id, claimedIds))).map((w) => [
      w.id,
      w,
    ]),
  );
  // A visitor's webhook (added through /subscribe) is left through its own manage page.
  const signedUp = new Set(
    (
      await db
        .select({ id: webhookSignups.webhookId })
        .from(webhookSignups)
        .where(inJsonList(webhookSignups.webhookId, claimedIds))
    ).map((r) => r.id),
  );
  // What internal channels add to an incident event, read for the whole batch at once: the
  // update's internal note and the incident's support script.
  const internalRefs = claimed
    .filter((d) => hooks.get(d.webhook_id)?.internal && d.event.startsWith('incident.'))
    .map((d) => JSON.parse(d.ref) as Record<string, string | null>);
  const updateIds = [...new Set(internalRefs.flatMap((r) => (r.updateId ? [r.updateId] : [])))];
  const notes = new Map(
    updateIds.length === 0
      ? []
      : (
          await db
            .select({ id: incidentUpdates.id, note: incidentUpdates.internalNote })
            .from(incidentUpdates)
            .where(inJsonList(incidentUpdates.id, updateIds))
        ).map((u) => [u.id, u.note]),
  );
  const scripts = await readStoredSupportScripts(
    db,
    internalRefs.flatMap((r) => (r.incidentId ? [r.incidentId] : [])),
  );
  // Each webhook's secret is opened once per batch, not once per delivery (a key derivation).
  const secrets = new Map<string, string | null>();
  const incidentsById = new Map<string, IncidentJson | null>();
  const maintenancesById = new Map<string, MaintenanceJson | null>();
  const prioritiesById = new Map<string, number>();
  const pageJson = {
    id: page.id,
    status_indicator: status.indicator,
    status_description: status.description,
  };
  const adminMeta = {
    unsubscribe: `${page.url}/admin/webhooks`,
    documentation: `${page.url}/api/admin/openapi.json`,
  };

  for (const d of claimed) {
    const w = hooks.get(d.webhook_id);
    if (!w) {
      out.set(d.id, null);
      continue;
    }
    // The event's own time: a delivery that waited out an outage or a pause is recognisable.
    const meta = {
      ...adminMeta,
      ...(signedUp.has(w.id)
        ? { unsubscribe: `${page.url}/manage/webhook/${webhookManageToken(master, w.id)}` }
        : {}),
      event_created_at: new Date(Number(d.created_at)).toISOString(),
    };
    const ref = JSON.parse(d.ref) as Record<string, string | null>;
    let envelope: Record<string, unknown>;
    let chat: ChatMessage;
    if (d.event === 'test') {
      envelope = { meta, page: pageJson, test: { created_at: now.toISOString() } };
      chat = {
        headline: `Test from ${page.name} Status`,
        status: 'Test',
        body: 'Herald can reach this channel. Incident updates will appear here.',
        internalNote: null,
        supportScript: null,
        components: [],
        window: null,
        nextUpdateBy: null,
        url: page.url,
        severity: 'info',
      };
    } else if (d.event === 'component.updated') {
      const c = all.find((x) => x.id === ref.componentId);
      if (!c) {
        out.set(d.id, null);
        continue;
      }
      const newStatus = ref.newStatus as ComponentStatus;
      const oldStatus = ref.oldStatus as ComponentStatus;
      envelope = {
        meta,
        page: pageJson,
        component_update: {
          created_at: ref.changedAt,
          new_status: newStatus,
          old_status: oldStatus,
          id: `${d.id}`,
          component_id: c.id,
        },
        component: componentJson(c, newStatus),
      };
      chat = {
        headline: `${c.name}: ${componentStatusLabels[newStatus]}`,
        status: componentStatusLabels[newStatus],
        body: `${c.name} changed from ${componentStatusLabels[oldStatus]} to ${componentStatusLabels[newStatus]}.`,
        internalNote: null,
        supportScript: null,
        components: [c.name],
        window: null,
        nextUpdateBy: null,
        url: page.url,
        severity: severityOf[newStatus],
      };
    } else if (d.event === 'maintenance.switch') {
      const on = ref.active === 'true';
      envelope = {
        meta,
        page: pageJson,
        maintenance_switch: {
          active: on,
          message: ref.message ?? null,
          until: ref.until ?? null,
          changed_at: ref.changedAt,
        },
      };
      chat = {
        headline: on
          ? `Maintenance switch ON: ${page.name}`
          : `Maintenance switch OFF: ${page.name}`,
        status: on ? 'Under maintenance' : 'Back',
        body: on
          ? (ref.message ?? `${page.name} is under maintenance.`)
          : 'The maintenance page is down and the product is back.',
        internalNote: null,
        supportScript: null,
        components: [],
        window: null,
        nextUpdateBy: null,
        url: `${page.url}/maintenance`,
        severity: on ? 'maintenance' : 'ok',
      };
    } else if (d.event === 'maintenance') {
      const id = ref.maintenanceId ?? '';
      if (!maintenancesById.has(id))
        maintenancesById.set(id, await readMaintenance(db, page, all, PUBLIC_SCOPE, id));
      const found = maintenancesById.get(id);
      if (!found) {
        out.set(d.id, null);
        continue;
      }
      const step = asOf(found, ref.updateId ?? null);
      const update = step.incident_updates[0];
      // The status this step reported, even when the window has moved on since it was queued.
      const maintenance: MaintenanceJson = {
        ...step,
        status: maintenanceStates.find((x) => x === update?.status) ?? step.status,
      };
      envelope = { meta, page: pageJson, incident: maintenance };
      chat = maintenanceChat(maintenance, page.time_zone);
    } else {
      const id = ref.incidentId ?? '';
      if (!incidentsById.has(id))
        incidentsById.set(id, await readIncident(db, page, all, PUBLIC_SCOPE, id));
      const found = incidentsById.get(id);
      // The update must be one the page shows: a priority change (the team's entry) queued
      // before followers were kept from it would reach them as an update with nothing in it.
      if (!found || (ref.updateId && !found.incident_updates.some((u) => u.id === ref.updateId))) {
        out.set(d.id, null);
        continue;
      }
      const incident = asOf(found, ref.updateId ?? null);
      const update = incident.incident_updates[0];
      if (!prioritiesById.has(id))
        prioritiesById.set(id, (await readPriorities(db, PUBLIC_SCOPE, [id])).get(id) ?? 3);
      const priority = prioritiesById.get(id)!;
      // The internal priority is the team's: an internal channel's envelope carries it, and no
      // other (a public webhook hears impact, as the public JSON does).
      envelope = {
        meta,
        page: pageJson,
        incident: w.internal ? { ...incident, priority } : incident,
      };
      let internalNote: string | null = null;
      let supportScript: string | null = null;
      if (w.internal && ref.updateId) internalNote = notes.get(ref.updateId) ?? null;
      // As in the internal list's email: the edited script, or the one every incident starts with.
      if (w.internal)
        supportScript =
          scripts.get(incident.id) ??
          // Webhooks never hear of an incident for chosen audiences only.
          supportScriptTemplate(
            { id: incident.id, title: incident.name, audienceOnly: false, audienceSlugs: [] },
            page.url,
          );
      const resolved = d.event === 'incident.resolved';
      const next = resolved ? null : (update?.next_update_at ?? null);
      const about = {
        priority,
        title: incident.name,
        isDrill: incident.is_drill,
        impact: incident.impact,
      };
      chat = {
        // The team's PRIORITY subject in its own channel; elsewhere what public email says.
        headline: w.internal
          ? incidentSubject(resolved ? 'resolved' : 'update', about)
          : publicSubject(resolved ? 'resolved' : 'update', about),
        status: statusLabel(update?.status ?? incident.status),
        body: update?.body ?? '',
        internalNote,
        supportScript,
        components: incident.components.map((c) => c.name),
        window: null,
        nextUpdateBy: next ? formatClock(next, page.time_zone, now) : null,
        url: incident.shortlink,
        severity: resolved ? 'ok' : (impactSeverity[incident.impact] ?? 'info'),
      };
    }
    if (!secrets.has(w.id)) {
      try {
        secrets.set(w.id, openSecret(master, w.secretBox));
      } catch {
        secrets.set(w.id, null);
      }
    }
    const secret = secrets.get(w.id);
    if (secret == null) {
      out.set(d.id, {
        unreadable:
          'the signing secret cannot be read (was SECRET_KEY changed?): remove the webhook and add it again',
      });
      continue;
    }
    out.set(d.id, {
      deliveryId: d.id,
      webhookId: w.id,
      url: w.url,
      allowPrivate: w.allowPrivate || config.webhookAllowPrivate,
      secret,
      kind: w.kind,
      envelope,
      chat,
    });
  }
  return out;
}

const noticeOf: Record<string, MaintenanceNoticeKind> = {
  scheduled: 'maintenance_scheduled',
  in_progress: 'maintenance_started',
  verifying: 'maintenance_started',
  completed: 'maintenance_completed',
  cancelled: 'maintenance_cancelled',
};

/**
 * A window's step for chat: the email's subject line as headline, the window in the page's zone
 * with the UTC span beside it (people in other zones read the UTC one), the step's own words.
 */
function maintenanceChat(m: MaintenanceJson, tz: string): ChatMessage {
  const from = new Date(m.scheduled_for);
  const until = new Date(m.scheduled_until);
  const utc = tz === 'UTC' || tz === 'Etc/UTC';
  const local = `${formatLong(from, tz)} to ${formatLong(until, tz)}`;
  return {
    headline: maintenanceSubject(noticeOf[m.status] ?? 'maintenance_scheduled', {
      title: m.name,
      scheduledFor: from,
      scheduledUntil: until,
    }),
    status: statusLabel(m.status),
    body: m.incident_updates[0]?.body ?? '',
    internalNote: null,
    supportScript: null,
    components: m.components.map((c) => c.name),
    window: utc ? local : `${local} (${windowSpanUtc(from, until)})`,
    nextUpdateBy: null,
    url: m.shortlink,
    severity: m.status === 'completed' || m.status === 'cancelled' ? 'ok' : 'maintenance',
  };
}

function componentJson(c: ComponentJson, status: ComponentStatus) {
  return { created_at: c.created_at, id: c.id, name: c.name, status };
}
