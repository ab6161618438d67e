import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { components } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * The components an update or declaration names in its body exist and are not groups. A name
 * that matches nothing is bad input in the body (422, with the `components` field), not a
 * missing resource at the URL (404).
 */
export async function checkComponents(
  tx: DbOrTx,
  list: readonly { componentId: string }[],
): Promise<void> {
  const ids = [...new Set(list.map((c) => c.componentId))];
  if (ids.length === 0) return;
  const found = await tx
    .select({ id: components.id, isGroup: components.isGroup, name: components.name })
    .from(components)
    .where(inArray(components.id, ids));
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length)
    throw new ValidationError(`No component with id ${missing.join(', ')}.`, {
      components: `no component with id ${missing.join(', ')}`,
    });
  const group = found.find((f) => f.isGroup);
  if (group)
    throw new ValidationError(`"${group.name}" is a group; set the status of its components.`, {
      components: 'groups have no status of their own',
    });
}
