import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';

/**
 * Refuses a body larger than `maxSize` bytes with a 413 saying `message`: from Content-Length
 * before a byte is read, or as soon as a chunked body passes the limit. The route's own error
 * handler words the answer (Herald's JSON error, Statuspage's `{"error"}`).
 */
export function refuseBodyOver(maxSize: number, message: string): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HTTPException(413, { message });
    },
  });
}

/** Marks every answer of a sub-app as never stored: API answers are per caller and per moment. */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('cache-control', 'no-store');
};
