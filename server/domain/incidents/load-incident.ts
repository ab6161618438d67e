import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents } from '../../../db/schema/index.ts';
import { NotFoundError } from '../shared/errors.ts';
import { readOncePerRequest } from '../../../db/request-reads.ts';

/**
 * The incident row, or null; outside a transaction read once per request (a staff page asks for
 * it from several boxes).
 */
export async function findIncident(db: DbOrTx, id: string) {
  const found = await readOncePerRequest(db, `incident:${id}`, async () => ({
    row: (await db.select().from(incidents).where(eq(incidents.id, id)))[0] ?? null,
  }));
  return found.row;
}

export async function loadIncident(tx: DbOrTx, id: string) {
  const row = await findIncident(tx, id);
  if (!row) throw new NotFoundError('incident', id);
  return row;
}
