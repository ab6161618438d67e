import { MIMEType } from 'node:util';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * A request's `Content-Type` as Node's MIME parser reads it: the media type in lower case and
 * its charset (lower case, null when not given); null when the header is missing or malformed.
 */
export function requestMediaType(
  header: string | undefined,
): { type: string; charset: string | null } | null {
  if (!header) return null;
  try {
    const m = new MIMEType(header);
    return { type: m.essence, charset: m.params.get('charset')?.toLowerCase() ?? null };
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON request body, read strictly, for every API that takes one (the admin API, `/v1`, alert
 * intake): `Content-Type: application/json` with no charset or UTF-8 (JSON is UTF-8, RFC 8259;
 * a body declared in another charset is refused rather than misread) else a 415 with `wrongType`;
 * bytes that are not UTF-8 or text that is not JSON a 400; an empty body is `empty` when the
 * caller gives one. Returns the bytes, the text and the value (any JSON value: the caller says
 * which shapes it takes).
 */
export async function readJsonBody(
  c: Pick<Context, 'req'>,
  opts: { wrongType: string; empty?: unknown },
): Promise<{ bytes: Uint8Array; text: string; value: unknown }> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  // A body that may be left out (a step such as "start now" takes no fields), whatever its type.
  if (bytes.length === 0 && opts.empty !== undefined) return { bytes, text: '', value: opts.empty };
  const media = requestMediaType(c.req.header('content-type'));
  if (media?.type !== 'application/json' || (media.charset !== null && media.charset !== 'utf-8'))
    throw new HTTPException(415, { message: opts.wrongType });
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HTTPException(400, { message: 'The request body is not valid UTF-8.' });
  }
  try {
    return { bytes, text, value: JSON.parse(text) };
  } catch {
    throw new HTTPException(400, { message: 'The request body is not valid JSON.' });
  }
}
