import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { auditLog } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';

export interface AuditFilter {
  /** Matches the actor's id or label (e.g. an email, "token deploy-bot", "cli"). */
  actor?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  /** Entries strictly older than this (for paging). */
  before?: Date | undefined;
  limit?: number;
}

/**
 * Read-only view of the audit log, newest first; admins only (it names everyone's actions).
 * Herald has no verb that changes it.
 */
export async function listAudit(deps: DomainDeps, f: AuditFilter, actor: Actor) {
  assertRole(actor, 'admin');
  const where: SQL[] = [];
  if (f.actor) {
    const a = f.actor.replace(/[\\%_]/g, (m) => `\\${m}`);
    where.push(
      or(eq(auditLog.actorId, f.actor), sql`${auditLog.actorLabel} like ${`%${a}%`} escape '\\'`)!,
    );
  }
  if (f.objectType) where.push(eq(auditLog.objectType, f.objectType));
  if (f.objectId) where.push(eq(auditLog.objectId, f.objectId));
  if (f.before) where.push(lt(auditLog.at, f.before));
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  return deps.db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}

export async function auditObjectTypes(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .selectDistinct({ t: auditLog.objectType })
    .from(auditLog)
    .orderBy(auditLog.objectType);
  return rows.map((r) => r.t);
}
