import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, components, incidentAudiences, lists } from '../../../db/schema/index.ts';
import { isMember } from '../audiences/manage-audiences.ts';
import { ValidationError } from '../shared/errors.ts';
import { type ListRow, receivesPriority } from './list-rules.ts';

// Which lists hear of an incident, and with which text. The one place that decides it for
// every incident broadcast (updates, the all-clear, post-mortem and follow-up mail) and for the
// recipient counts the forms show, so a list's reader and what it reads cannot drift apart.

/** A named audience as its lists need it: who belongs, what it sees. */
export interface ListAudience {
  id: string;
  slug: string;
  name: string;
  memberDomains: string[];
  memberEmails: string[];
  everyoneSignedIn: boolean;
  seesInternal: boolean;
  /** The components it sees and their groups (as its page shows them); null: all. */
  sees: ReadonlySet<string> | null;
}

/** A list with the audience it belongs to (null: a public or internal list). */
export type AudienceAwareList = ListRow & { audience: ListAudience | null };

/** What a list reads of an incident it receives. */
export interface ListText {
  /** The audience whose own text it reads where the PM wrote one; null: the public text. */
  audienceId: string | null;
  /**
   * Internal text: `record` for internal lists (the internal note, the support script and the
   * record), `notes` for the lists of an audience that sees internal text (the internal note,
   * as its page shows), `none` for every other list.
   */
  internal: 'none' | 'notes' | 'record';
}

/** The incident as a broadcast announces it. */
export interface IncidentForLists {
  priority: number;
  isDrill: boolean;
  /** The components it affects; none means nobody can tell what it spares. */
  componentIds: readonly string[];
  /** For chosen audiences only: never public (`incidents.audience_only`). */
  audienceOnly?: boolean;
  /** The audiences it was chosen for (`incident_audiences`), when `audienceOnly`. */
  chosenAudienceIds?: readonly string[];
}

/** What a list reads, whatever the incident: its audience's text and internal text, or none. */
export function listText(list: AudienceAwareList): ListText {
  const a = list.audience;
  if (a) return { audienceId: a.id, internal: a.seesInternal ? 'notes' : 'none' };
  return { audienceId: null, internal: list.isInternal ? 'record' : 'none' };
}

/**
 * Where a list's readers read an incident: an audience's list links to the audience's own
 * incident page (its text, and the incidents for chosen audiences only, which the public page
 * answers with a 404); an internal list to the public page when the public sees the incident
 * (stakeholders without a Herald account can open it) and otherwise to the admin incident page,
 * where staff sign in; every other list to the public incident page. Maintenance windows are
 * never for chosen audiences only.
 */
export function incidentUrlFor(
  pageUrl: string,
  list: { audience: Pick<ListAudience, 'slug'> | null; isInternal: boolean },
  incident: { id: string; audienceOnly: boolean },
  audienceHosts?: AudienceHosts,
): string {
  if (list.audience)
    return `${audienceBase(pageUrl, list.audience.slug, audienceHosts)}/a/${list.audience.slug}/incidents/${incident.id}`;
  if (list.isInternal && incident.audienceOnly) return `${pageUrl}/admin/incidents/${incident.id}`;
  return `${pageUrl}/incidents/${incident.id}`;
}

/** The operator's AUDIENCE_HOSTS: host name to audience slug (server/config.ts). */
export type AudienceHosts = ReadonlyMap<string, string>;

/**
 * Where an audience's pages are reached: on its own host name when the operator gave it one
 * (its members sign in there, and sign-in cookies are per host), with the page's scheme, as the
 * sign-in links asked for there are; else on the public URL.
 */
export function audienceBase(pageUrl: string, slug: string, hosts?: AudienceHosts): string {
  if (hosts)
    for (const [host, s] of hosts) if (s === slug) return `${new URL(pageUrl).protocol}//${host}`;
  return pageUrl;
}

/**
 * Where support staff send a customer to follow an incident: where a customer's list links
 * (`incidentUrlFor`), so the public page, or for an incident for chosen audiences only the page
 * of the one audience chosen. Null when several (or none) were chosen: no single page shows it
 * to every customer who asks, and the public one answers with a 404.
 */
export function customerIncidentUrl(
  pageUrl: string,
  incident: { id: string; audienceOnly: boolean; audienceSlugs: readonly string[] },
  audienceHosts?: AudienceHosts,
): string | null {
  if (!incident.audienceOnly)
    return incidentUrlFor(pageUrl, { audience: null, isInternal: false }, incident);
  const [slug, ...more] = incident.audienceSlugs;
  if (!slug || more.length > 0) return null;
  return incidentUrlFor(
    pageUrl,
    { audience: { slug }, isInternal: false },
    incident,
    audienceHosts,
  );
}

/**
 * Where the same reader finds the incident's published post-mortem: on the page
 * `incidentUrlFor` gives, at its post-mortem section; staff sent to the admin go to its
 * post-mortem page (the admin's incident page has no such section).
 */
export function postmortemUrlFor(
  pageUrl: string,
  list: { audience: Pick<ListAudience, 'slug'> | null; isInternal: boolean },
  incident: { id: string; audienceOnly: boolean },
  audienceHosts?: AudienceHosts,
): string {
  const url = incidentUrlFor(pageUrl, list, incident, audienceHosts);
  return !list.audience && list.isInternal && incident.audienceOnly
    ? `${url}/postmortem`
    : `${url}#postmortem`;
}

/**
 * May this list receive this incident, and with which text: null when it may not. Drills reach
 * drill lists only and real incidents never do; a list receives the priorities it was given; an
 * audience's list hears only of incidents its audience sees (one of its components, or none
 * named), as its page shows them; an incident for chosen audiences only reaches the lists of
 * those audiences and staff lists, never a public list.
 */
export function listReading(list: AudienceAwareList, incident: IncidentForLists): ListText | null {
  if (list.isDrill !== incident.isDrill) return null;
  if (!receivesPriority(list, incident.priority)) return null;
  // An incident for chosen audiences only reaches the lists of the audiences it was chosen for
  // and staff: internal lists and the lists of an audience that sees internal text; never a
  // public list.
  if (incident.audienceOnly && !list.isInternal && !list.audience?.seesInternal) {
    const chosen = list.audience && incident.chosenAudienceIds?.includes(list.audience.id);
    if (!chosen) return null;
  }
  const sees = list.audience?.sees;
  if (sees && incident.componentIds.length > 0 && !incident.componentIds.some((c) => sees.has(c)))
    return null;
  return listText(list);
}

/**
 * A maintenance window reaches every list but drill lists; an audience's list only when the
 * window touches a component its audience sees (or names none).
 */
export function listTakesMaintenance(list: AudienceAwareList, componentIds: readonly string[]) {
  if (list.isDrill) return false;
  const sees = list.audience?.sees;
  return !sees || componentIds.length === 0 || componentIds.some((c) => sees.has(c));
}

/**
 * The `source` of a subscription made on an audience's page after signing in through the
 * company's provider: for an audience open to everyone signed in, that sign-in made them a
 * member, and it is all Herald knows of them when it sends.
 */
export const AUDIENCE_SSO_SOURCE = 'audience_sso';

/**
 * Whether an address on this list may still read it, checked when each mail is made: an
 * audience's list mails only its members as the audience is now, so an address (or a domain)
 * removed from the audience gets nothing more although it is still subscribed. `viaCompanyIdp`:
 * the address joined after signing in through the company's provider.
 */
export function mayStillRead(
  list: AudienceAwareList,
  subscriber: { email: string; viaCompanyIdp: boolean },
): boolean {
  return !list.audience || isMember(list.audience, subscriber);
}

/** Every list (or those named) with its audience, read in one go for a broadcast. */
export async function readAudienceAwareLists(
  db: DbOrTx,
  ids?: readonly string[],
): Promise<AudienceAwareList[]> {
  const rows = ids
    ? ids.length
      ? await db
          .select()
          .from(lists)
          .where(inArray(lists.id, [...ids]))
      : []
    : await db.select().from(lists);
  const audienceIds = [...new Set(rows.flatMap((l) => (l.audienceId ? [l.audienceId] : [])))];
  if (audienceIds.length === 0) return rows.map((l) => ({ ...l, audience: null }));
  const found = await db.select().from(audiences).where(inArray(audiences.id, audienceIds));
  const parents = found.some((a) => a.componentIds)
    ? await db.select({ id: components.id, groupId: components.groupId }).from(components)
    : [];
  const byId = new Map<string, ListAudience>(
    found.map((a) => {
      let sees: Set<string> | null = null;
      if (a.componentIds) {
        sees = new Set(a.componentIds);
        // A group shows when one of its children does, as on the audience's page.
        for (const c of parents)
          if (c.groupId && a.componentIds.includes(c.id)) sees.add(c.groupId);
      }
      return [
        a.id,
        {
          id: a.id,
          slug: a.slug,
          name: a.name,
          memberDomains: a.memberDomains,
          memberEmails: a.memberEmails,
          everyoneSignedIn: a.everyoneSignedIn,
          seesInternal: a.seesInternal,
          sees,
        },
      ];
    }),
  );
  // A list whose audience is gone mid-read is left out rather than read as a public list.
  return rows.flatMap((l): AudienceAwareList[] => {
    if (!l.audienceId) return [{ ...l, audience: null }];
    const audience = byId.get(l.audienceId);
    return audience ? [{ ...l, audience }] : [];
  });
}

/** The audiences an audience-only incident was chosen for (none for a public incident). */
export async function chosenAudienceIds(db: DbOrTx, incidentId: string): Promise<string[]> {
  const rows = await db
    .select({ id: incidentAudiences.audienceId })
    .from(incidentAudiences)
    .where(eq(incidentAudiences.incidentId, incidentId));
  return rows.map((r) => r.id);
}

/** The lists of one audience, oldest first. */
export function readAudienceLists(db: DbOrTx, audienceId: string) {
  return db.select().from(lists).where(eq(lists.audienceId, audienceId)).orderBy(lists.createdAt);
}

/**
 * The audience a list is given (by its address), checked in the caller's transaction: it must
 * exist, and its list is neither internal nor a drill list and names no domains (its members
 * are the audience's; internal notes reach it when the audience sees internal text).
 */
export async function resolveListAudience(
  tx: DbOrTx,
  slug: string | null,
  list: { isInternal: boolean; isDrill: boolean; allowedDomains: string },
): Promise<string | null> {
  if (slug === null) return null;
  const [a] = await tx.select({ id: audiences.id }).from(audiences).where(eq(audiences.slug, slug));
  if (!a)
    throw new ValidationError('That audience does not exist.', { audience: `no audience ${slug}` });
  const errors: Record<string, string> = {};
  if (list.isInternal)
    errors.isInternal = "an audience's list follows its audience: it cannot also be internal";
  if (list.isDrill) errors.isDrill = "an audience's list cannot be a drill list";
  if (list.allowedDomains !== '')
    errors.allowedDomains = "an audience's list takes its audience's members: leave it empty";
  if (Object.keys(errors).length)
    throw new ValidationError("An audience's list takes its members from the audience.", errors);
  return a.id;
}
