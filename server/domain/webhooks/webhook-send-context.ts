import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import {
  type ComponentStatus,
  incidentUpdates,
  webhooks,
  webhookSignups,
} from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { incidentSubject } from '../broadcasts/subjects.ts';
import { formatClock } from '../shared/zoned-time.ts';
import { componentStatusLabels, statusLabel } from '../status/labels.ts';
import {
  readComponents,
  readIncident,
  readPage,
  readUnresolvedIncidents,
} from '../status/read-status.ts';
import { type ComponentJson, type IncidentJson, rollUp } from '../status/statuspage-json.ts';
import { linkKey, webhookManageToken } from '../subscribers/tokens.ts';
import { type ChatMessage, chatPayload } from './chat-payloads.ts';
import { openSecret } from './secret-box.ts';

export interface ClaimedWebhookDelivery {
  id: string;
  webhook_id: string;
  event: string;
  ref: string;
  attempts: number;
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
function asOf(incident: IncidentJson, updateId: string | null): IncidentJson {
  const i = incident.incident_updates.findIndex((u) => u.id === updateId);
  return i < 0 ? incident : { ...incident, incident_updates: incident.incident_updates.slice(i) };
}

/**
 * Renders the bodies of claimed deliveries at send time: the Statuspage webhook envelope for a
 * webhook, Block Kit / an Adaptive Card / an embed for chat. Null for a delivery whose webhook
 * is gone or paused, or whose incident is no longer public (skip it).
 */
export async function readWebhookRequests(
  db: Db,
  config: Pick<Config, 'publicUrl' | 'secretKey' | 'webhookAllowPrivate'>,
  claimed: ClaimedWebhookDelivery[],
  now: Date,
): Promise<Map<string, WebhookRequest | { unreadable: string } | null>> {
  const out = new Map<string, WebhookRequest | { unreadable: string } | null>();
  if (claimed.length === 0) return out;
  const page = await readPage(db, config.publicUrl);
  const all = await readComponents(db, page);
  const status = rollUp(all, await readUnresolvedIncidents(db, page, all));
  const master = await linkKey(db, config);
  const claimedIds = JSON.stringify([...new Set(claimed.map((c) => c.webhook_id))]);
  const hooks = new Map(
    (
      await db
        .select()
        .from(webhooks)
        .where(sql`${webhooks.id} IN (SELECT value FROM json_each(${claimedIds}))`)
    ).map((w) => [w.id, w]),
  );
  // A visitor's webhook (added through /subscribe) is left through its own manage page.
  const signedUp = new Set(
    (
      await db
        .select({ id: webhookSignups.webhookId })
        .from(webhookSignups)
        .where(sql`${webhookSignups.webhookId} IN (SELECT value FROM json_each(${claimedIds}))`)
    ).map((r) => r.id),
  );
  const incidentsById = new Map<string, IncidentJson | null>();
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
    if (!w || w.state !== 'active') {
      out.set(d.id, null);
      continue;
    }
    const meta = signedUp.has(w.id)
      ? {
          ...adminMeta,
          unsubscribe: `${page.url}/manage/webhook/${webhookManageToken(master, w.id)}`,
        }
      : adminMeta;
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
        components: [],
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
        components: [c.name],
        nextUpdateBy: null,
        url: page.url,
        severity: severityOf[newStatus],
      };
    } else {
      const id = ref.incidentId ?? '';
      if (!incidentsById.has(id)) incidentsById.set(id, await readIncident(db, page, all, id));
      const found = incidentsById.get(id);
      if (!found) {
        out.set(d.id, null);
        continue;
      }
      const incident = asOf(found, ref.updateId ?? null);
      const update = incident.incident_updates[0];
      envelope = { meta, page: pageJson, incident };
      let internalNote: string | null = null;
      if (w.internal && ref.updateId) {
        const [u] = await db
          .select({ note: incidentUpdates.internalNote })
          .from(incidentUpdates)
          .where(eq(incidentUpdates.id, ref.updateId));
        internalNote = u?.note ?? null;
      }
      const resolved = d.event === 'incident.resolved';
      const next = resolved ? null : (update?.next_update_at ?? null);
      chat = {
        headline: incidentSubject(resolved ? 'resolved' : 'update', {
          priority: incident.priority ?? 3,
          title: incident.name,
          isDrill: incident.is_drill,
        }),
        status: statusLabel(update?.status ?? incident.status),
        body: update?.body ?? '',
        internalNote,
        components: incident.components.map((c) => c.name),
        nextUpdateBy: next ? formatClock(next, page.time_zone, now) : null,
        url: incident.shortlink,
        severity: resolved ? 'ok' : (impactSeverity[incident.impact] ?? 'info'),
      };
    }
    const payload = w.kind === 'webhook' ? envelope : chatPayload(w.kind, chat);
    let secret: string;
    try {
      secret = openSecret(master, w.secretBox);
    } catch {
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
      body: JSON.stringify(payload),
    });
  }
  return out;
}

function componentJson(c: ComponentJson, status: ComponentStatus) {
  return { created_at: c.created_at, id: c.id, name: c.name, status };
}
