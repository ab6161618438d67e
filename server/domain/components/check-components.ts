import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { components } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * The components a request names in its body, read; one that matches nothing is bad input in
 * the body (422 on `field`), not a missing resource at the URL (404).
 */
export async function findComponents(tx: DbOrTx, ids: readonly string[], field: string) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found = await tx
    .select({ id: components.id, isGroup: components.isGroup, name: components.name })
    .from(components)
    .where(inArray(components.id, unique));
  const missing = unique.filter((id) => !found.some((f) => f.id === id));
  if (missing.length)
    throw new ValidationError(`No component with id ${missing.join(', ')}.`, {
      [field]: `no component with id ${missing.join(', ')}`,
    });
  return found;
}

/**
 * The components a plan names (a maintenance window, a drill), with each group standing for
 * its components: groups have no status of their own. Unknown ids are a 422 on `field`.
 */
export async function expandGroups(
  tx: DbOrTx,
  ids: readonly string[],
  field: string,
): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found = await findComponents(tx, unique, field);
  const groups = found.filter((f) => f.isGroup).map((f) => f.id);
  if (groups.length === 0) return unique;
  const children = await tx
    .select({ id: components.id })
    .from(components)
    .where(inArray(components.groupId, groups));
  return [
    ...new Set([...unique.filter((id) => !groups.includes(id)), ...children.map((c) => c.id)]),
  ];
}

/** The components an update or declaration sets a status on exist and are not groups. */
export async function checkComponents(
  tx: DbOrTx,
  list: readonly { componentId: string }[],
): Promise<void> {
  const found = await findComponents(
    tx,
    list.map((c) => c.componentId),
    'components',
  );
  const group = found.find((f) => f.isGroup);
  if (group)
    throw new ValidationError(`"${group.name}" is a group; set the status of its components.`, {
      components: 'groups have no status of their own',
    });
}
