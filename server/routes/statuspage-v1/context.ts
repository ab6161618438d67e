import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Actor } from '../../domain/shared/actor.ts';
import { parseInput } from '../../domain/shared/parse.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { readJsonObject } from '../operation.ts';

export type V1Env = { Variables: { actor: Actor } };
export type V1Context = Context<V1Env>;

export const actorOf = (c: V1Context) => c.get('actor');

/** A path parameter without the `.json` suffix Statuspage's older paths carry. */
export const param = (c: V1Context, name: string) =>
  (c.req.param(name) ?? '').replace(/\.json$/, '');

/**
 * The JSON body parsed with the adapter's schema, in Statuspage's own field names, so a problem
 * names the field as the client sent it (`incident.name: is required`): a 422 before any write.
 */
export async function v1Body<S extends z.ZodType>(c: V1Context, schema: S): Promise<z.output<S>> {
  const body = await readJsonObject(c);
  return parseInput(schema, body);
}

/** Statuspage's paging: `page` from 1 and `per_page` (or `limit`) up to 100. */
export function paging(c: V1Context, fallback = 100) {
  const num = (name: string, min: number, max: number) => {
    const raw = c.req.query(name);
    if (raw === undefined) return undefined;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new HTTPException(400, {
        message: `${name} must be a whole number from ${min} to ${max}.`,
      });
    return Number(raw);
  };
  const perPage = num('per_page', 1, 100) ?? num('limit', 1, 100) ?? fallback;
  const page = num('page', 1, 100_000) ?? 1;
  return { limit: perPage, offset: (page - 1) * perPage };
}

/** Statuspage answers a delete with the deleted object; Herald's collection says 204. */
export const noContent = (c: V1Context) => c.body(null, 204);

/**
 * Runs a verb and reports its field errors in the client's words: Herald's `title` is the
 * `incident.name` the client sent. The verb's own schema stays the one place the rule lives.
 */
export async function inV1Words<T>(
  names: Record<string, string>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(err.fields)) {
      const [head, ...rest] = k.split('.');
      fields[[names[head!] ?? head, ...rest].join('.')] = v;
    }
    const message = Object.keys(err.fields).length
      ? Object.entries(fields)
          .map(([k, v]) => (k === '_' ? v : `${k}: ${v}`))
          .join('; ')
      : err.message;
    throw new ValidationError(message, fields);
  }
}
