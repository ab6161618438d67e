import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { auditLog, settings } from '../../../db/schema/index.ts';
import { type Actor, assertMayWrite } from './actor.ts';
import { newId } from './ids.ts';
import { PURGE_ALL_KEYS, queueEdgePurge } from './edge-purge-queue.ts';

/**
 * Every write calls this inside its transaction: it bumps the change counter that keys the
 * page cache (in this and every other Herald process), stamps the page's updated_at, and queues
 * the purge of the caching edge's copies (the surrogate keys it touched; everything unless the
 * caller knows better), which the write's request sends after commit and before it answers.
 */
export async function bumpChanges(
  tx: DbOrTx,
  now: Date,
  purgeKeys: string[] = PURGE_ALL_KEYS,
): Promise<void> {
  await tx
    .update(settings)
    .set({ changeCounter: sql`${settings.changeCounter} + 1`, updatedAt: now })
    .where(sql`${settings.id} = 1`);
  if (purgeKeys.length > 0) await queueEdgePurge(tx, now, purgeKeys);
}

/**
 * For writes no public body shows (reports, triage): the counter still moves (open admin pages
 * refresh themselves), but the edge keeps every public page.
 */
export const NO_PUBLIC_CHANGE: string[] = [];

export interface AuditEntry {
  action: string;
  objectType: string;
  objectId: string | null;
  before?: unknown;
  after?: unknown;
}

/** Appends to the audit log in the caller's transaction. */
export async function recordAudit(
  tx: DbOrTx,
  actor: Actor,
  now: Date,
  entry: AuditEntry,
): Promise<void> {
  assertMayWrite(actor, entry.action);
  await tx.insert(auditLog).values({
    id: newId(),
    actorType: actor.type,
    actorId: actor.id,
    actorLabel: actor.label,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: now,
  });
}

/** How many rows a write statement changed, as the driver reports it (0 when it does not say). */
export const rowsAffected = (result: unknown): number =>
  Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
