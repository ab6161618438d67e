import { and, inArray, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { postmortems } from '../../../db/schema/index.ts';
import { type PublicText, publicText } from '../shared/audience.ts';
import { renderMarkdown } from '../shared/render-markdown.ts';

// The public read path of post-mortems, apart from the staff views so that public surfaces
// import nothing that reads the internal part (test/unit/audience-boundary.test.ts).

/**
 * A published post-mortem as public surfaces may see it: its public part and dates. The public
 * read path below selects only these columns, so the internal part never reaches a public
 * renderer (it is not in the row, and its type is not `PublicText`).
 */
export interface PublicPostmortem {
  incidentId: string;
  body: PublicText;
  updatedAt: Date;
  publishedAt: Date;
}

/** The three Statuspage fields on a public incident; the body as sanitised HTML. */
export function postmortemJson(pm: PublicPostmortem | undefined) {
  return {
    postmortem_body: pm ? renderMarkdown(pm.body) : null,
    postmortem_body_last_updated_at: pm ? pm.updatedAt.toISOString() : null,
    postmortem_published_at: pm ? pm.publishedAt.toISOString() : null,
  };
}

/**
 * The public parts of the published post-mortems of these incidents, by incident id: the one
 * read path for every public surface (page, feeds, v2, embed, public mail).
 */
export async function readPublishedPostmortems(
  db: DbOrTx,
  incidentIds: string[],
): Promise<Map<string, PublicPostmortem>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await db
    .select({
      incidentId: postmortems.incidentId,
      body: postmortems.publicBody,
      updatedAt: postmortems.updatedAt,
      publishedAt: postmortems.publishedAt,
    })
    .from(postmortems)
    .where(and(inArray(postmortems.incidentId, incidentIds), isNotNull(postmortems.publishedAt)));
  return new Map(
    rows.map((r) => [
      r.incidentId,
      { ...r, body: publicText(r.body), publishedAt: r.publishedAt ?? r.updatedAt },
    ]),
  );
}
