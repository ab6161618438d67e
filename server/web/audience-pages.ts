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
    signedIn: visitor.session !== null || visitor.reader !== null,
    /** Signed in as a reader (not staff): the page offers sign-out. */
    readerEmail: visitor.reader?.email ?? null,
    async home(slug: string) {
      // Staff accounts and readers who came through the company's provider count as "signed in
      // through the company"; a reader who proved an address by email does not.
      const who = [
        ...(visitor.session ? [{ email: visitor.session.user.email, viaCompanyIdp: true }] : []),
        ...(visitor.reader
          ? [{ email: visitor.reader.email, viaCompanyIdp: visitor.reader.method === 'oidc' }]
          : []),
      ];
      if (who.length === 0) return null;
      const a = await findAudienceBySlug(deps.db, slug);
      if (!a || !who.some((w) => isMember(a, w))) return null;
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
