import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents, incidentSupportScripts } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { inJsonList } from '../shared/in-list.ts';
import { readIncidentAudiences } from '../audiences/incident-audiences.ts';
import { customerIncidentUrl } from '../lists/list-reading.ts';

/** An incident as its support script names it: its title, and where its customers follow it. */
export interface ScriptIncident {
  id: string;
  title: string;
  audienceOnly: boolean;
  /** The audiences it was chosen for, when `audienceOnly`. */
  audienceSlugs: readonly string[];
}

/** The incident as its script needs it; null without the incident. */
export async function readScriptIncident(
  db: DbOrTx,
  incidentId: string,
): Promise<ScriptIncident | null> {
  const [inc] = await db
    .select({ id: incidents.id, title: incidents.title, audienceOnly: incidents.audienceOnly })
    .from(incidents)
    .where(eq(incidents.id, incidentId));
  return inc ? withAudienceSlugs(db, inc) : null;
}

/** An incident already read, with the audiences it was chosen for. */
export async function withAudienceSlugs(
  db: DbOrTx,
  inc: { id: string; title: string; audienceOnly: boolean },
): Promise<ScriptIncident> {
  const chosen = inc.audienceOnly
    ? ((await readIncidentAudiences(db, [inc.id])).get(inc.id) ?? [])
    : [];
  return {
    id: inc.id,
    title: inc.title,
    audienceOnly: inc.audienceOnly,
    audienceSlugs: chosen.map((a) => a.slug),
  };
}

/**
 * The "where to send people" line. Support staff read it out as it stands, so it never names a
 * page that answers the customer with a 404: an incident for chosen audiences only is on no
 * public page, and with several audiences chosen no single page shows it to everyone who asks.
 */
function whereToSend(incident: ScriptIncident, publicUrl: string, pageSays: string): string {
  const url = customerIncidentUrl(publicUrl.replace(/\/+$/, ''), incident);
  if (!url)
    return `Where to send people: this incident is not on the public status page, only on the status pages of the customers it concerns. Send each customer to their own status page, where they sign in. ${pageSays}`;
  return incident.audienceOnly
    ? `Where to send people: their status page, ${url} (they sign in to see it). ${pageSays}`
    : `Where to send people: the status page, ${url}. ${pageSays}`;
}

/**
 * The script every incident starts with until someone edits it: plain words, no blame, no
 * promised fix time, and where to send people for the next update.
 */
export function supportScriptTemplate(incident: ScriptIncident, publicUrl: string) {
  return [
    `What to say: "We know about it: ${incident.title}. Our team is working on it right now. We are sorry for the trouble."`,
    whereToSend(
      incident,
      publicUrl,
      'It has every update, and the next one is always promised there.',
    ),
    'Do not promise a time for the fix, and do not guess at the cause.',
    'If a customer lost data or money, write down their account and tell the incident owner.',
  ].join('\n');
}

/**
 * The script's closing version, which the all-clear carries: it is over, thank people, and
 * where the record and any follow-up will be. The "working on it" lines must not outlive it.
 */
export function closingSupportScript(incident: ScriptIncident, publicUrl: string) {
  return [
    `What to say: "It is resolved: ${incident.title}. Everything works normally again. Thank you for your patience, and we are sorry for the trouble."`,
    whereToSend(incident, publicUrl, 'It keeps the timeline and will link the post-mortem.'),
    'If a customer still sees the problem, write down their account and tell the incident owner.',
  ].join('\n');
}

/** The closing script the resolve form offers; null without the incident. */
export async function readClosingSupportScript(db: DbOrTx, incidentId: string, publicUrl: string) {
  const inc = await readScriptIncident(db, incidentId);
  return inc ? closingSupportScript(inc, publicUrl) : null;
}

export const saveSupportScriptInput = z.strictObject({
  incidentId: z.string().min(1),
  body: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(10_000, 'must be at most 10,000 characters'),
});

/** The incident's support script: the edited one, or the template; null without the incident. */
export async function readSupportScript(db: DbOrTx, incidentId: string, publicUrl: string) {
  const inc = await readScriptIncident(db, incidentId);
  if (!inc) return null;
  const [row] = await db
    .select()
    .from(incidentSupportScripts)
    .where(eq(incidentSupportScripts.incidentId, incidentId));
  return row
    ? { body: row.body, fromTemplate: false, updatedBy: row.updatedBy, updatedAt: row.updatedAt }
    : {
        body: supportScriptTemplate(inc, publicUrl),
        fromTemplate: true,
        updatedBy: null,
        updatedAt: null,
      };
}

/** The edited scripts of these incidents, by incident id (one query for a batch of events). */
export async function readStoredSupportScripts(
  db: DbOrTx,
  incidentIds: readonly string[],
): Promise<Map<string, string>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await db
    .select({ incidentId: incidentSupportScripts.incidentId, body: incidentSupportScripts.body })
    .from(incidentSupportScripts)
    .where(inJsonList(incidentSupportScripts.incidentId, [...new Set(incidentIds)]));
  return new Map(rows.map((r) => [r.incidentId, r.body]));
}

/** The edited script alone (null while the incident still uses the template). */
export async function readStoredSupportScript(db: DbOrTx, incidentId: string) {
  const [row] = await db
    .select({ body: incidentSupportScripts.body })
    .from(incidentSupportScripts)
    .where(eq(incidentSupportScripts.incidentId, incidentId));
  return row?.body ?? null;
}

/** Edits the support script as the incident moves (responders and admins). */
export const saveSupportScript = verb(saveSupportScriptInput, saveSupportScriptParsed);
async function saveSupportScriptParsed(
  deps: DomainDeps,
  input: Parsed<typeof saveSupportScriptInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await readSupportScript(tx, input.incidentId, deps.config.publicUrl);
    if (!before) throw new NotFoundError('incident', input.incidentId);
    const row = {
      incidentId: input.incidentId,
      body: input.body,
      updatedBy: actor.label,
      updatedAt: now,
    };
    await tx
      .insert(incidentSupportScripts)
      .values(row)
      .onConflictDoUpdate({ target: incidentSupportScripts.incidentId, set: row });
    await recordAudit(tx, actor, now, {
      action: 'incident.support_script',
      objectType: 'incident',
      objectId: input.incidentId,
      before: { body: before.body },
      after: { body: input.body },
    });
    await bumpChanges(tx, now);
    return row;
  });
}

/** The internal note of an internal-list email with the support script after it. */
export function withSupportScript(note: string | null, script: string | null): string | null {
  if (!script) return note;
  const block = `SUPPORT SCRIPT (what support and sales say):\n${script}`;
  return note ? `${note}\n\n${block}` : block;
}
