import type { Deps } from '../deps.ts';
import type { Visitor } from '../http/auth.ts';
import { createAudienceReader } from '../domain/audiences/audience-reader.ts';
import { audienceFeedToken } from '../domain/audiences/audience-token.ts';
import { findAudienceBySlug, isMember } from '../domain/audiences/manage-audiences.ts';
import { linkKey } from '../domain/subscribers/tokens.ts';
import {
  joinAudienceList,
  leaveAudienceList,
  readAudienceSubscriptions,
} from '../domain/subscribers/audience-subscriptions.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { Language } from '../i18n/languages.ts';
import { type FormResult, formValues, runPageAction, str } from './forms/form.ts';

/**
 * A named audience's page for the signed-in visitor: null unless they belong to it, so the page
 * answers 404 alike for a non-member, a signed-out visitor and an audience that does not exist.
 * Herald's own accounts are the company's people: they count as signed in through the company
 * for audiences open to "everyone signed in".
 */
export function createAudiencePages(deps: Deps, visitor: Visitor) {
  // Staff accounts and readers who came through the company's provider count as "signed in
  // through the company"; a reader who proved an address by email does not. A reader session
  // comes first: it is the address the visitor chose for audience pages.
  const who = [
    ...(visitor.reader
      ? [{ email: visitor.reader.email, viaCompanyIdp: visitor.reader.method === 'oidc' }]
      : []),
    ...(visitor.session ? [{ email: visitor.session.user.email, viaCompanyIdp: true }] : []),
  ];
  /** The audience and the visitor's identity in it, or null (not signed in, not a member). */
  async function membership(slug: string) {
    if (who.length === 0) return null;
    const a = await findAudienceBySlug(deps.db, slug);
    const me = a ? who.find((w) => isMember(a, w)) : undefined;
    return a && me ? { a, me } : null;
  }
  return {
    signedIn: visitor.session !== null || visitor.reader !== null,
    /** Signed in as a reader (not staff): the page offers sign-out. */
    readerEmail: visitor.reader?.email ?? null,
    async home(slug: string) {
      const m = await membership(slug);
      if (!m) return null;
      const { a, me } = m;
      const reader = createAudienceReader(deps.db, deps.config.publicUrl, a);
      const summary = await reader.summary();
      const recent = await reader.incidents();
      const token = audienceFeedToken(await linkKey(deps.db, deps.config), a);
      const base = `/a/${a.slug}`;
      return {
        audience: { name: a.name, slug: a.slug, seesInternal: a.seesInternal },
        summary,
        resolved: recent.incidents.filter((i) => i.status === 'resolved').slice(0, 10),
        history: `${base}/history`,
        feeds: {
          rss: `${base}/history.rss?token=${token}`,
          atom: `${base}/history.atom?token=${token}`,
          json: `${base}/api/v2/summary.json?token=${token}`,
        },
        /** The audience's own lists, and whether the visitor's address is on each. */
        email: { address: me.email, lists: await readAudienceSubscriptions(deps.db, a, me.email) },
      };
    },
    /**
     * Joins or leaves one of the audience's lists (`action`: join or leave) for the visitor's
     * proved address, in the language of the page. Not a member (or not signed in, or another
     * audience's list): the page's not-found, and nothing is written.
     */
    async changeList(
      slug: string,
      form: FormData,
      language: Language,
    ): Promise<FormResult<{ done: 'joined' | 'already' | 'left'; listName: string }>> {
      const values = formValues(form);
      return runPageAction(values, async () => {
        const m = await membership(slug);
        if (!m) throw new NotFoundError('audience', slug);
        const input = { audience: slug, listId: str(values, 'listId'), language };
        if (str(values, 'action') === 'leave') {
          const r = await leaveAudienceList(deps, input, m.me);
          return { done: 'left' as const, listName: r.listName };
        }
        const r = await joinAudienceList(deps, input, m.me);
        return {
          done: r.joined ? ('joined' as const) : ('already' as const),
          listName: r.listName,
        };
      });
    },
    /**
     * One incident or maintenance as the audience reads it, members only: null (the page's
     * 404) for a visitor who may not read the audience or an entry it does not see.
     */
    async incident(slug: string, id: string) {
      const m = await membership(slug);
      if (!m) return null;
      const { a } = m;
      const { page, entry } = await createAudienceReader(deps.db, deps.config.publicUrl, a).entry(
        id,
      );
      if (!entry) return null;
      return {
        audience: { name: a.name, slug: a.slug, seesInternal: a.seesInternal },
        page,
        entry,
      };
    },
    /** One page of the audience's history (public and audience-only incidents), members only. */
    async history(slug: string, requested: string | null) {
      const m = await membership(slug);
      if (!m) return null;
      const { a } = m;
      const reader = createAudienceReader(deps.db, deps.config.publicUrl, a);
      return {
        audience: { name: a.name, slug: a.slug, seesInternal: a.seesInternal },
        ...(await reader.history(requested)),
      };
    },
  };
}
export type AudiencePages = ReturnType<typeof createAudiencePages>;
