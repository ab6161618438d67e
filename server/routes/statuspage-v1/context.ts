import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import qs from 'qs';
import type { Actor } from '../../domain/shared/actor.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { requestMediaType } from '../../http/json-body.ts';
import { readJsonObject } from '../operation.ts';

export type V1Env = { Variables: { actor: Actor } };
export type V1Context = Context<V1Env>;

export const actorOf = (c: V1Context) => c.get('actor');

/** A path parameter without the `.json` suffix Statuspage's older paths carry. */
export const param = (c: V1Context, name: string) =>
  (c.req.param(name) ?? '').replace(/\.json$/, '');

/**
 * The request body as the object a JSON client would send, unparsed: the operation's verb parses
 * it once, with its own schema in Statuspage's field names, so a problem names the field as the
 * client sent it (`incident.name: is required`). Form posts and Statuspage's older query-string
 * writes arrive as the same object.
 */
export async function v1Raw(c: V1Context): Promise<Record<string, unknown>> {
  const type = requestMediaType(c.req.header('content-type'))?.type ?? '';
  if (type === 'application/x-www-form-urlencoded') return formFields(await c.req.text());
  // Statuspage's older documentation sends the fields as query parameters with no body.
  const query = new URL(c.req.url).search.slice(1);
  if (!c.req.header('content-length') && !type && /(^|&)[a-z_]+(%5B|\[)/i.test(query))
    return formFields(query);
  return readJsonObject(c);
}

/**
 * The message for a list of component ids sent as one value: a form field without `[]`
 * (`incident[component_ids]=ID`) arrives as a string.
 */
export const COMPONENT_IDS_LIST =
  'must be a list of component ids (in a form, one component_ids[]=ID per id)';

/** Fields Statuspage documents as "t or f" in form posts. */
const FORM_FLAGS = new Set([
  'deliver_notifications',
  'scheduled_remind_prior',
  'scheduled_auto_in_progress',
  'scheduled_auto_completed',
  'skip_confirmation_notification',
  'showcase',
  'only_show_if_degraded',
  'wants_twitter_update',
]);

/**
 * `incident[name]=...&incident[component_ids][]=...` as the object a JSON client would send.
 * Form values are strings: the documented flags ("t"/"f", "true"/"false") and the Herald
 * priority ("0" to "3") are converted here, explicitly; anything else stays a string, so a
 * wrong value is refused by the schema naming its field.
 */
function formFields(text: string): Record<string, unknown> {
  const parsed = qs.parse(text, { depth: 4, arrayLimit: 500, parameterLimit: 2000 });
  delete parsed.api_key;
  const convert = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => convert(v, ''));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, k)]));
    if (typeof value !== 'string') return value;
    if (FORM_FLAGS.has(key)) {
      if (value === 't' || value === 'true' || value === '1') return true;
      if (value === 'f' || value === 'false' || value === '0') return false;
    }
    if (key === 'priority' && /^[0-3]$/.test(value)) return Number(value);
    return value;
  };
  return convert(parsed, '') as Record<string, unknown>;
}

/** Statuspage's paging: `page` from 1 and `per_page` (or `limit`) up to 100. */
export function paging(query: Record<string, string | undefined>, fallback = 100) {
  const num = (name: string, min: number, max: number) => {
    const raw = query[name];
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

/** The client's name for a Herald field: the longest of `names` that is a prefix of its path. */
function clientField(names: Record<string, string>, key: string): string {
  let best: string | undefined;
  for (const prefix of Object.keys(names))
    if ((key === prefix || key.startsWith(`${prefix}.`)) && prefix.length > (best?.length ?? -1))
      best = prefix;
  return best === undefined ? key : names[best]! + key.slice(best.length);
}

/**
 * Runs an operation and reports its field errors in the client's words: Herald's `title` (or
 * `declare.title`, a step of a composed operation) is the `incident.name` the client sent. The
 * verbs' own schemas stay the one place each rule lives.
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
    for (const [k, v] of Object.entries(err.fields)) fields[clientField(names, k)] = v;
    const message = Object.keys(err.fields).length
      ? Object.entries(fields)
          .map(([k, v]) => (k === '_' ? v : `${k}: ${v}`))
          .join('; ')
      : err.message;
    throw new ValidationError(message, fields);
  }
}

/** A field refused by a rule of the management API, named as the client sent it. */
export const fieldError = (field: string, message: string) =>
  new ValidationError(`${field}: ${message}`, { [field]: message });
