import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  DomainError,
  PayloadError,
  RateLimitedError,
  ValidationError,
} from '../domain/shared/errors.ts';
import { DatabaseBusyError, databaseFault } from '../domain/shared/database-busy.ts';
import { IdempotencyKeyInUseError } from '../domain/submissions/submission-keys.ts';
import type { Logger } from '../logger.ts';

/** The one table from domain error codes to HTTP statuses, for the API and the forms alike. */
const statusByCode: Record<string, number> = {
  validation_failed: 422,
  bad_payload: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  database_busy: 503,
  database_full: 503,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  idempotency_answer_not_kept: 409,
};

/** Transport refusals (thrown as HTTPException by routes and middleware) and their codes. */
const httpCodes: Record<number, string> = {
  400: 'bad_request',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export function statusOf(err: DomainError): number {
  return statusByCode[err.code] ?? 400;
}

/**
 * The seconds after which a refused request may be sent again (`Retry-After`), for the errors
 * that pass (a rate limit, a busy database, a first request with the same key still running);
 * null for the rest. Every API's error answer sets the header from here.
 */
export function retryAfterOf(err: DomainError): number | null {
  if (
    err instanceof RateLimitedError ||
    err instanceof DatabaseBusyError ||
    err instanceof IdempotencyKeyInUseError
  )
    return err.retryAfterSeconds;
  return null;
}

export function errorBody(code: string, message: string, fields?: Record<string, string>) {
  return {
    error: fields && Object.keys(fields).length ? { code, message, fields } : { code, message },
  };
}

/**
 * The one error mapper: domain errors become `{error: {code, message}}` with their status;
 * anything unexpected is logged and answered with a 500 that leaks nothing.
 */
export function mapError(log: Logger) {
  return (err: Error, c: Context) => {
    // A single statement outside a transaction meets a busy or full database as a raw driver
    // error: it changed nothing and is answered like a transaction that waited in vain.
    const fault = err instanceof DomainError ? null : databaseFault(err);
    if (fault === 'busy' || fault === 'full') err = new DatabaseBusyError(fault);
    if (err instanceof DomainError) {
      const retryAfter = retryAfterOf(err);
      if (retryAfter !== null) c.header('Retry-After', String(retryAfter));
      const fields =
        err instanceof ValidationError || err instanceof PayloadError ? err.fields : undefined;
      return c.json(errorBody(err.code, err.message, fields), statusOf(err) as 400);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const message =
        status === 400
          ? err.message || 'The request could not be read.'
          : err.message || 'Request failed.';
      return c.json(errorBody(httpCodes[status] ?? 'http_error', message), status);
    }
    log.error('unhandled error', {
      method: c.req.method,
      path: c.req.path,
      error: err.stack ?? String(err),
    });
    return c.json(
      errorBody(
        'internal_error',
        'Something went wrong on our side. Try again; if it keeps failing, check the Herald logs.',
      ),
      500,
    );
  };
}
