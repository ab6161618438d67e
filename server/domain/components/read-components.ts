import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import type { ComponentStatus } from '../../../db/schema/enums.ts';
import { components, incidentComponents } from '../../../db/schema/index.ts';

export async function readComponentNames(
  db: DbOrTx,
  ids: string[],
): Promise<{ id: string; name: string }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: components.id, name: components.name })
    .from(components)
    .where(inArray(components.id, ids));
}

/** An incident's affected components in their listed order, with the status it gives them. */
export async function readAffectedComponents(
  db: DbOrTx,
  incidentId: string,
): Promise<{ id: string; name: string; status: ComponentStatus }[]> {
  return db
    .select({ id: components.id, name: components.name, status: incidentComponents.status })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incidentId))
    .orderBy(incidentComponents.position);
}
