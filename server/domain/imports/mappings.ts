import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { type ImportKind, importMappings } from '../../../db/schema/index.ts';

/** Every object of one source already imported, as `kind:sourceId` → Herald id. */
export async function readMappings(db: DbOrTx, source: string): Promise<Map<string, string>> {
  const rows = await db.select().from(importMappings).where(eq(importMappings.source, source));
  return new Map(rows.map((r) => [`${r.kind}:${r.sourceId}`, r.heraldId]));
}

export async function findMapping(
  db: DbOrTx,
  source: string,
  kind: ImportKind,
  sourceId: string,
): Promise<string | null> {
  const [row] = await db
    .select({ heraldId: importMappings.heraldId })
    .from(importMappings)
    .where(
      and(
        eq(importMappings.source, source),
        eq(importMappings.kind, kind),
        eq(importMappings.sourceId, sourceId),
      ),
    );
  return row?.heraldId ?? null;
}

export async function addMapping(
  tx: DbOrTx,
  m: { source: string; kind: ImportKind; sourceId: string; heraldId: string },
  now: Date,
) {
  await tx.insert(importMappings).values({ ...m, createdAt: now });
}
