import type { Deps } from '../deps.ts';
import type { Visitor } from '../http/auth.ts';
import { createAudienceReader } from '../domain/audiences/audience-reader.ts';
import { audienceFeedToken } from '../domain/audiences/audience-token.ts';
import { findAudienceBySlug, isMember } from '../domain/audiences/manage-audiences.ts';
import { linkKey } from '../domain/subscribers/tokens.ts';

/**
 * A named audience's page for the signed-in visitor: null unless they belong to it, so the page
 * answers 404 alike for a non-member, a signed-out visitor and an audience that does not exist.
 * Herald's own accounts are the company's people: they count as signed in through the company
 * for audiences open to "everyone signed in".
 */
export function createAudiencePages(deps: Deps, visitor: Visitor) {
  return {
    signedIn: visitor.session !== null,
    async home(slug: string) {
      const session = visitor.session;
      if (!session) return null;
      const a = await findAudienceBySlug(deps.db, slug);
      if (!a || !isMember(a, { email: session.user.email, viaCompanyIdp: true })) return null;
      const reader = createAudienceReader(deps.db, deps.config.publicUrl, a);
      const summary = await reader.summary();
      const recent = await reader.incidents();
      const token = audienceFeedToken(await linkKey(deps.db, deps.config), a);
      const base = `/a/${a.slug}`;
      return {
        audience: { name: a.name, slug: a.slug, seesInternal: a.seesInternal },
        summary,
        resolved: recent.incidents.filter((i) => i.status === 'resolved').slice(0, 10),
        feeds: {
          rss: `${base}/history.rss?token=${token}`,
          atom: `${base}/history.atom?token=${token}`,
          json: `${base}/api/v2/summary.json?token=${token}`,
        },
      };
    },
  };
}
export type AudiencePages = ReturnType<typeof createAudiencePages>;
