import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import {
  type broadcasts,
  components,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
} from '../../db/schema/index.ts';
import {
  type MaintenanceNoticeData,
  renderMaintenanceNotice,
} from '../../emails/maintenance-notice.ts';
import {
  type MaintenanceNoticeKind,
  maintenanceNoticeKinds,
} from '../../emails/maintenance-subject.ts';
import type { SubscriberLinks } from '../domain/subscribers/tokens.ts';
import type { OutgoingMail } from '../mailer.ts';
import type { PageContext, Recipient } from './compose.ts';

/** What one maintenance notice's emails share; the list and its links differ per recipient. */
export interface MaintenanceBroadcastContext {
  kind: MaintenanceNoticeKind;
  subject: string;
  maintenance: Omit<MaintenanceNoticeData, 'listName' | 'manageUrl' | 'unsubscribeUrl'>;
}

const isNoticeKind = (k: string): k is MaintenanceNoticeKind =>
  (maintenanceNoticeKinds as readonly string[]).includes(k);

/**
 * Loads a maintenance notice at send time. The window's times are read as they are now (an
 * extended window's reminder shows the new end); the body is the window's description for the
 * announcement and reminder, and the matching step's update for the start and completion.
 */
export async function loadMaintenanceBroadcastContext(
  db: DbOrTx,
  page: PageContext,
  b: typeof broadcasts.$inferSelect,
): Promise<MaintenanceBroadcastContext | null> {
  if (!b.maintenanceId || !isNoticeKind(b.kind)) return null;
  const [m] = await db.select().from(maintenances).where(eq(maintenances.id, b.maintenanceId));
  if (!m) return null;
  const names = await db
    .select({ name: components.name })
    .from(maintenanceComponents)
    .innerJoin(components, eq(components.id, maintenanceComponents.componentId))
    .where(eq(maintenanceComponents.maintenanceId, m.id))
    .orderBy(asc(maintenanceComponents.position));
  let body = m.description;
  const step =
    b.kind === 'maintenance_started'
      ? 'in_progress'
      : b.kind === 'maintenance_completed'
        ? 'completed'
        : null;
  if (step) {
    const updates = await db
      .select()
      .from(maintenanceUpdates)
      .where(eq(maintenanceUpdates.maintenanceId, m.id));
    body = updates.find((u) => u.status === step && u.statusChanged)?.body ?? body;
  }
  return {
    kind: b.kind,
    subject: b.subject,
    maintenance: {
      kind: b.kind,
      pageName: page.name,
      title: m.title,
      body,
      scheduledFor: m.scheduledFor,
      scheduledUntil: m.scheduledUntil,
      components: names.map((n) => n.name),
      maintenanceUrl: `${page.url}/incidents/${m.id}`,
      calendarUrl: `${page.url}/maintenance.ics`,
    },
  };
}

/** One recipient's copy of a maintenance notice, with their list's links and headers. */
export function composeMaintenanceMail(
  b: MaintenanceBroadcastContext,
  r: Recipient,
  links: SubscriberLinks,
  messageId: string,
  list: OutgoingMail['list'],
): OutgoingMail {
  const rendered = renderMaintenanceNotice({ ...b.maintenance, listName: r.list.name, ...links });
  return { to: r.email, ...rendered, subject: b.subject, messageId, list };
}
