import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AuthEnv } from '../http/auth.ts';
import { answerOnce } from '../http/idempotency.ts';
import { readJsonBody } from '../http/json-body.ts';
import type { ApiOperation } from '../http/openapi.ts';
import type { Deps } from '../deps.ts';
import { type Actor, assertRole, type Role } from '../domain/shared/actor.ts';
import type { Verb } from '../domain/shared/verb.ts';

export type ApiContext = Context<AuthEnv>;

/**
 * One admin operation, declared once: the admin API route, its OpenAPI entry and 405s
 * (admin-api.ts), the form action (`formAction` in server/web/forms/form.ts, posted from its page
 * through server/web/forms/page-posts.ts) and the CLI command (cli.ts, where `cli` is set) are all
 * derived from it, and all run it through `runOperation`.
 */
export interface OperationRow<I = any, R = any> {
  method: ApiOperation['method'];
  /** Hono path below /api/admin, e.g. `/incidents/:id/updates`. */
  path: string;
  summary: string;
  role: Role;
  /**
   * The verb's own input schema, read from the verb (never stated in the row): the JSON body
   * (the query string for a GET), with `pathField` filled from the URL's `:id`. Without one, the
   * verb gets `{ id }`.
   */
  readonly input?: z.ZodType<I>;
  /** The input field filled from the URL's `:id` (`incidentId`, ...), left out of the body. */
  pathField?: string;
  /** An empty body means `{}` (steps such as "start now" take no fields). */
  optionalBody?: boolean;
  /** Query parameters, for the OpenAPI document: name to description. */
  query?: Record<string, string>;
  /** The largest body this operation reads (default `DEFAULT_BODY_LIMIT`); more is a 413. */
  maxBodyBytes?: number;
  /**
   * The verb it runs, on the unparsed input: a declared verb (`verb()` in
   * domain/shared/verb.ts) parses it once with its own schema; a row without a schema gets `{ id }`.
   */
  verb: (deps: Deps, raw: any, actor: Actor) => Promise<R> | R;
  /** The JSON the API answers with (default: what the verb returned). */
  answer?: (result: R) => unknown;
  /** A Location header for the answer (a 202's object to follow). */
  location?: (result: R) => string;
  success: number;
  /**
   * The answer holds a secret shown once (a new API token, a webhook's signing secret): it is
   * never stored, so an `Idempotency-Key` sent again gets a 409 saying so instead of a replay.
   */
  secretAnswer?: boolean;
  /** The CLI command that runs it, where there is one. */
  cli?: CliCommand<R>;
}

/** `npx herald <command> --flag value ...`: which flag fills which input field. */
export interface CliCommand<R = any> {
  command: string;
  /** Flag name to input field (`id` for the URL's `:id`); every flag is required. */
  flags?: Record<string, string>;
  /** Flags that may be left out. */
  optionalFlags?: Record<string, string>;
  /** The flags as the usage shows them (`--id ID`). */
  args?: string;
  /** What the command does, for the usage text. */
  help: string;
  /** What is printed on success. */
  print: (result: R) => string;
}

/** What a row without a schema gets: the URL's `:id` (empty when the path has none) and any
 * other path parameter by name. */
export interface PathOnly {
  id: string;
  [param: string]: string;
}

type RowSpec<I, R> = Omit<
  OperationRow<I, R>,
  'input' | 'verb' | 'pathField' | 'answer' | 'location' | 'cli'
> & {
  answer?: (result: Awaited<R>) => unknown;
  location?: (result: Awaited<R>) => string;
  cli?: CliCommand<Awaited<R>>;
};

/** A row whose verb is declared with its schema: the row's input is the verb's. */
export function operation<S extends z.ZodType, R>(
  row: RowSpec<z.output<S>, R> & {
    pathField?: NoInfer<keyof z.output<S> & string>;
    verb: Verb<S, Deps, R, []>;
  },
): OperationRow<z.output<S>, Awaited<R>>;
/** A row with no input but the URL's `:id`. */
export function operation<R>(
  row: RowSpec<PathOnly, R> & {
    verb: ((deps: Deps, input: PathOnly, actor: Actor) => Promise<R> | R) & { input?: never };
  },
): OperationRow<PathOnly, Awaited<R>>;
export function operation(row: Omit<OperationRow, 'input'>): OperationRow {
  const input = (row.verb as Partial<Verb>).input;
  if (row.pathField && !row.path.includes(':id'))
    throw new Error(`${row.method} ${row.path}: a path field is taken from :id`);
  if (row.pathField && !input)
    throw new Error(`${row.method} ${row.path}: a path field needs a verb with a schema`);
  return input ? { ...row, input } : row;
}

/**
 * Runs an operation for an actor: the row's role, then its verb, which parses the raw input
 * once with its own schema. The API, the forms and the CLI all come through here, so none can
 * skip a check another makes. `raw` is the unparsed input (path field included); rows without
 * a schema take `{ id }`.
 */
export async function runOperation<I, R>(
  deps: Deps,
  row: OperationRow<I, R>,
  raw: unknown,
  actor: Actor,
): Promise<R> {
  assertRole(actor, row.role);
  return row.verb(deps, raw, actor);
}

/** The OpenAPI entry of a row. */
export function rowMeta(row: OperationRow): ApiOperation {
  return {
    method: row.method,
    path: row.path,
    summary: row.summary,
    role: row.role,
    ...(row.input && row.method !== 'get' ? { body: row.input } : {}),
    ...(row.pathField ? { omit: [row.pathField] } : {}),
    ...(row.optionalBody ? { optionalBody: true } : {}),
    ...(row.query ? { query: row.query } : {}),
    ...(row.maxBodyBytes ? { maxBodyBytes: row.maxBodyBytes } : {}),
    success: row.success,
  };
}

/**
 * The API handler of a row: read the body (or query), fill the path field, run, answer. Every
 * write takes an optional `Idempotency-Key` (http/idempotency.ts): sent again, it answers the
 * first result instead of running twice.
 */
export function rowHandler(deps: Deps, row: OperationRow) {
  const handle = rowAnswer(deps, row);
  if (row.method === 'get') return handle;
  return (c: ApiContext) =>
    answerOnce(deps, c, actorOf(c), { secretAnswer: row.secretAnswer === true }, () => handle(c));
}

function rowAnswer(deps: Deps, row: OperationRow) {
  return async (c: ApiContext): Promise<Response> => {
    const id = pathId(c);
    let raw: unknown = { ...c.req.param(), id };
    if (row.input) {
      const source =
        row.method === 'get' || row.method === 'delete'
          ? c.req.query()
          : await readJsonObject(c, { optional: row.optionalBody });
      raw = { ...source, ...(row.pathField ? { [row.pathField]: id } : {}) };
    }
    const result = await runOperation(deps, row, raw, actorOf(c));
    if (row.location) c.header('Location', row.location(result));
    if (row.success === 204) return c.body(null, 204);
    return c.json(row.answer ? row.answer(result) : result, row.success as 200);
  };
}

/** The signed-in user or token the request acts as. */
export const actorOf = (c: ApiContext) => c.get('actor');
/** The `:id` path parameter. */
export const pathId = (c: ApiContext) => c.req.param('id') ?? '';

function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message });
}

/**
 * The request body as a JSON object. A wrong Content-Type is a 415; bytes that are not UTF-8,
 * text that is not JSON, or JSON that is not an object are a 400. With `optional`, an empty
 * body means `{}` (steps such as "start now" take no fields).
 */
export async function readJsonObject(
  c: Pick<Context, 'req'>,
  opts: { optional?: boolean } = {},
): Promise<Record<string, unknown>> {
  const { value } = await readJsonBody(c, {
    wrongType: 'Send the body as JSON with Content-Type: application/json (UTF-8).',
    ...(opts.optional ? { empty: {} } : {}),
  });
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** A whole number in a query string ("50"); anything else is a field error for that parameter. */
export function queryInt(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}
