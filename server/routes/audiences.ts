import { followedBy } from '../domain/shared/verb.ts';
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import { audienceLinks, audienceTokenMatches } from '../domain/audiences/audience-token.ts';
import { createAudienceReader } from '../domain/audiences/audience-reader.ts';
import {
  createAudience,
  deleteAudience,
  findAudienceBySlug,
  listAudiences,
  revokeAudienceFeeds,
  updateAudience,
} from '../domain/audiences/manage-audiences.ts';
import { linkKey } from '../domain/subscribers/tokens.ts';
import { errorBody } from '../http/errors.ts';
import { feedLanguage, renderAtom, renderRss } from './feeds.ts';
import { operation } from './operation.ts';

// An audience's answers depend on who asks: never in the public cache or at the edge, never
// kept by a browser or proxy. (Its paths are also among the uncached prefixes of
// cache/cache-policy.ts, so the cache front never stores or serves them.)
const privateHeaders = {
  'cache-control': 'private, no-store',
  'x-content-type-options': 'nosniff',
};

/**
 * The feeds and v2 JSON of one named audience at /a/<slug>/..., opened by the audience's secret
 * token (`?token=`); the feeds speak the page's default language, or `?lang=`, as the public ones. A wrong token and an audience that does not exist get the same 404, so
 * nobody can learn which audiences exist.
 */
export function audienceRoutes(deps: Deps) {
  const app = new Hono();
  const notFound = (c: Context) =>
    c.json(errorBody('not_found', 'Not found.'), 404, privateHeaders);
  const open = async (c: Context) => {
    const a = await findAudienceBySlug(deps.db, c.req.param('slug') ?? '');
    const key = await linkKey(deps.db, deps.config);
    if (!a || !audienceTokenMatches(key, a, c.req.query('token'))) return null;
    return createAudienceReader(deps.db, deps.config.publicUrl, a);
  };
  // The token that opened the feed goes into its self link (it matched, so it is the real one).
  const ownToken = (c: Context) => ({ token: c.req.query('token') ?? '' });
  app.get('/a/:slug/api/v2/summary.json', async (c) => {
    const r = await open(c);
    return r ? c.json(await r.summary(), 200, privateHeaders) : notFound(c);
  });
  app.get('/a/:slug/api/v2/incidents.json', async (c) => {
    const r = await open(c);
    return r ? c.json(await r.incidents(), 200, privateHeaders) : notFound(c);
  });
  app.get('/a/:slug/history.rss', async (c) => {
    const r = await open(c);
    if (!r) return notFound(c);
    const { page, entries } = await r.feedEntries();
    const { lang, asked, pageLanguage } = await feedLanguage(deps, c.req.query('lang'));
    return c.body(renderRss(page, entries, lang, asked, pageLanguage, ownToken(c)), 200, {
      ...privateHeaders,
      'content-type': 'application/rss+xml; charset=utf-8',
    });
  });
  app.get('/a/:slug/history.atom', async (c) => {
    const r = await open(c);
    if (!r) return notFound(c);
    const { page, entries } = await r.feedEntries();
    const { lang, asked, pageLanguage } = await feedLanguage(deps, c.req.query('lang'));
    return c.body(renderAtom(page, entries, lang, asked, pageLanguage, ownToken(c)), 200, {
      ...privateHeaders,
      'content-type': 'application/atom+xml; charset=utf-8',
    });
  });
  return app;
}

/** An audience with its feed token and URLs. */
async function withLinks<T extends { id: string; slug: string; tokenVersion: number }>(
  deps: Deps,
  a: T,
) {
  const { token, ...links } = audienceLinks(
    await linkKey(deps.db, deps.config),
    deps.config.publicUrl,
    a,
  );
  return { ...a, feedToken: token, links };
}

const createAnswering = followedBy(createAudience, (deps: Deps, a) => withLinks(deps, a));
const updateAnswering = followedBy(updateAudience, (deps: Deps, a) => withLinks(deps, a));

/** Admins define audiences; each answer carries the audience's feed token and URLs. */
export const audienceOps = {
  list: operation({
    method: 'get',
    path: '/audiences',
    summary: 'The named audiences, with their feed URLs',
    role: 'admin',
    verb: async (deps) => {
      const out = [];
      for (const a of await listAudiences(deps.db)) out.push(await withLinks(deps, a));
      return { audiences: out };
    },
    success: 200,
  }),
  create: operation({
    method: 'post',
    path: '/audiences',
    summary:
      'Define an audience: members (domains, addresses, everyone signed in through the IdP), components, whether it sees internal text',
    role: 'admin',
    verb: createAnswering,
    success: 201,
  }),
  update: operation({
    method: 'put',
    path: '/audiences/:id',
    summary: 'Change an audience (every field, as when defining it)',
    role: 'admin',
    pathField: 'audienceId',
    verb: updateAnswering,
    success: 200,
  }),
  revokeFeeds: operation({
    method: 'post',
    path: '/audiences/:id/revoke-feeds',
    summary: 'Give the audience a new feed token: every feed and v2 URL given out before stops',
    role: 'admin',
    verb: async (deps, { id }, actor) =>
      withLinks(deps, await revokeAudienceFeeds(deps, id, actor)),
    success: 200,
  }),
  delete: operation({
    method: 'delete',
    path: '/audiences/:id',
    summary: 'Remove an audience, its texts and its feed URLs',
    role: 'admin',
    verb: (deps, { id }, actor) => deleteAudience(deps, id, actor),
    success: 204,
  }),
};

export const audienceOperations = Object.values(audienceOps);
