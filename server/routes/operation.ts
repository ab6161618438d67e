import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { parseInput } from '../domain/shared/parse.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';

export type ApiContext = Context<AuthEnv>;

/** One admin API operation: what the OpenAPI document says about it, and what answers it. */
export interface Operation {
  meta: ApiOperation;
  handler: (c: ApiContext) => Promise<Response> | Response;
}

/**
 * An operation that takes a body: its schema is stated once, in `meta.body`, and parsed once,
 * here, before the handler runs. The handler receives the typed input, with the path field
 * `meta.omit` names (`incidentId`, ...) filled from the URL's `:id`. Every field problem is a
 * 422 naming the field, before anything is written.
 */
export function op<S extends z.ZodType>(row: {
  meta: ApiOperation & { body: S };
  handler: (c: ApiContext, input: z.output<S>) => Promise<Response> | Response;
}): Operation {
  const { meta, handler } = row;
  const [field, ...more] = meta.omit ?? [];
  if (more.length > 0 || (field && !meta.path.includes(':id'))) {
    throw new Error(`${meta.method} ${meta.path}: one path field, taken from :id, at most`);
  }
  return {
    meta,
    handler: async (c) =>
      handler(
        c,
        await parseBody(c, meta.body, field ? { [field]: pathId(c) } : {}, {
          optional: meta.optionalBody,
        }),
      ),
  };
}

/** The signed-in user or token the request acts as. */
export const actorOf = (c: ApiContext) => c.get('actor');
/** The `:id` path parameter. */
export const pathId = (c: ApiContext) => c.req.param('id') ?? '';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0 && opts.optional) return {};
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  const [mediaType, ...params] = type.split(';').map((p) => p.trim());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (mediaType !== 'application/json' || (charset && charset.replace(/"/g, '') !== 'utf-8')) {
    throw new HTTPException(415, {
      message: 'Send the body as JSON with Content-Type: application/json (UTF-8).',
    });
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * Reads the JSON body and parses it with the verb's own schema, path fields (`incidentId`, ...)
 * taken from the URL. What comes back is typed: the verb gets it as is. Every field problem is a
 * 422 naming the field, before anything is written.
 */
export async function parseBody<S extends z.ZodType>(
  c: ApiContext,
  schema: S,
  fromPath: Record<string, string> = {},
  opts: { optional?: boolean } = {},
): Promise<z.output<S>> {
  const body = await readJsonObject(c, opts);
  return parseInput(schema, { ...body, ...fromPath });
}

/** Query parameters parsed with a schema (they are strings; the schema says what each is). */
export function parseQuery<S extends z.ZodType>(c: ApiContext, schema: S): z.output<S> {
  return parseInput(schema, c.req.query());
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
