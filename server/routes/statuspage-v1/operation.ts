import type { Hono } from 'hono';
import type { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { type Actor, assertRole, type Role } from '../../domain/shared/actor.ts';
import type { Verb } from '../../domain/shared/verb.ts';
import { answerOnce } from '../../http/idempotency.ts';
import { actorOf, inV1Words, param, type V1Context, type V1Env, v1Raw } from './context.ts';

/** Where a request landed: its path parameters (without `.json`), its query and what `found` found. */
export interface V1At<F = unknown> {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  found: F;
}

/**
 * One operation of the management API, declared once (as the admin API's rows are): method,
 * path, role, the verb and the success status. A write's verb is declared with its schema
 * (`verb()` in domain/shared/verb.ts), in Statuspage's field names and piped into the schemas of
 * the Herald verbs it runs, so the body is parsed once, by it; the Herald verbs then run on
 * that parse (`runParsed`). The routes (with the `.json` suffix and PUT for PATCH) are derived
 * in `mountV1`.
 */
export interface V1Row<F = any> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Hono path below /v1, e.g. `/pages/:page_id/incidents/:id`. */
  path: string;
  role: Role;
  /**
   * The object the path names, read before the body (an unknown id is a 404 whatever the body
   * says); the verb gets it as `at.found`.
   */
  found?: (deps: Deps, params: Record<string, string>, actor: Actor) => Promise<F>;
  /**
   * What runs: a declared verb gets the unparsed body with the URL's `:id` as `id` and parses
   * it once; a function without a schema reads no body.
   */
  verb: V1Verb<F>;
  /**
   * For a path that names two kinds of object (Statuspage keeps incidents and maintenance
   * windows in one collection): the verb for the one `found` found, instead of `verb`.
   */
  pick?: (found: F) => V1Verb<F>;
  /** Herald's field names (dotted prefixes of a field error's path) to the client's. */
  names?: Record<string, string>;
  success: 200 | 201 | 204;
  /**
   * The answer holds a secret shown once: it is never stored, so an `Idempotency-Key` sent again
   * gets a 409 saying so instead of a replay (no row has one yet).
   */
  secretAnswer?: boolean;
}

export type V1Verb<F = any> = ((
  deps: Deps,
  raw: any,
  actor: Actor,
  at: V1At<F>,
) => Promise<unknown>) & { input?: Verb['input'] };

/**
 * The rows' routes: each path also with `.json` (Statuspage's older paths), PATCH also as PUT.
 * Every write takes an optional `Idempotency-Key`, with the admin API's rules (answerOnce): a
 * client retrying after a timeout gets the first answer again instead of a second incident.
 */
export function mountV1(app: Hono<V1Env>, deps: Deps, rows: readonly V1Row[]) {
  for (const row of rows) {
    const handle = async (c: V1Context) => {
      const actor = actorOf(c);
      assertRole(actor, row.role);
      const params: Record<string, string> = {};
      for (const name of Object.keys(c.req.param())) params[name] = param(c, name);
      const found = row.found ? await row.found(deps, params, actor) : undefined;
      const at: V1At = { params, query: c.req.query(), found };
      const run = row.pick ? row.pick(found) : row.verb;
      const raw = run.input
        ? { ...(await v1Raw(c)), ...(params.id === undefined ? {} : { id: params.id }) }
        : undefined;
      const result = await inV1Words(row.names ?? {}, () => run(deps, raw, actor, at));
      if (row.success === 204) return c.body(null, 204);
      return c.json(result, row.success);
    };
    const handler =
      row.method === 'get'
        ? handle
        : (c: V1Context) =>
            answerOnce(deps, c, actorOf(c), { secretAnswer: row.secretAnswer === true }, () =>
              handle(c),
            );
    const methods = row.method === 'patch' ? ['PATCH', 'PUT'] : [row.method.toUpperCase()];
    // A path ending in `:id` takes `x.json` as its id (stripped by `param`).
    const paths = /\/:[a-z_]+$/.test(row.path) ? [row.path] : [row.path, `${row.path}.json`];
    for (const path of paths) app.on(methods, path, handler);
  }
}

/**
 * A write's one schema: the body in Statuspage's shape and words, renamed by `map` into the
 * input of the Herald verbs it runs, and checked by their own schema (`target`), all in one
 * parse. A field error of the second part carries Herald's name; the row's `names` turn it back
 * into the client's.
 */
export function v1Input<A extends z.ZodType, T extends z.ZodType<unknown, any>>(
  shape: A,
  map: (body: z.output<A>) => z.input<T>,
  target: T,
) {
  return shape.transform(map).pipe(target);
}
