import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents } from '../../../db/schema/index.ts';
import { NotFoundError } from '../shared/errors.ts';

export async function loadIncident(tx: DbOrTx, id: string) {
  const [row] = await tx.select().from(incidents).where(eq(incidents.id, id));
  if (!row) throw new NotFoundError('incident', id);
  return row;
}
