import type { MessageKey } from '../../i18n/message-key.ts';

/**
 * A message as a catalogue key and its values (server/i18n), beside the English text: public
 * forms show it in the reader's language, the API and the logs keep the English.
 */
export interface Said {
  key: MessageKey;
  values?: Record<string, string | number>;
}

/** Typed domain errors carry a code; http/errors.ts maps each code to an HTTP status. */
export class DomainError extends Error {
  readonly code: string = 'error';
  /** The message by catalogue key, where readers of public forms may see it. */
  says?: Said;
  /** Names the message's catalogue key; returns the error, for `throw new X(...).saying(...)`. */
  saying(key: MessageKey, values?: Said['values']): this {
    this.says = values ? { key, values } : { key };
    return this;
  }
}

export class ValidationError extends DomainError {
  override readonly code = 'validation_failed';
  /** Field name to message, for forms that re-render with what was typed. */
  readonly fields: Record<string, string>;
  /** Field name to the same message by catalogue key, where it has one. */
  readonly fieldSays: Record<string, Said>;
  constructor(
    message: string,
    fields: Record<string, string> = {},
    fieldSays: Record<string, Said> = {},
  ) {
    super(message);
    this.fields = fields;
    this.fieldSays = fieldSays;
  }
}

/**
 * A monitoring system's payload that does not have the shape its source documents (a missing
 * or mistyped field): refused whole, naming the field, so the sender's log shows what to fix.
 */
export class PayloadError extends DomainError {
  override readonly code = 'bad_payload';
  readonly fields: Record<string, string>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
}

/**
 * Something named by id does not exist. The message is always "No <entity> with id <id>.", so
 * every caller says it the same way; several ids (a list of components) are joined.
 */
export class NotFoundError extends DomainError {
  override readonly code = 'not_found';
  readonly entity: string;
  readonly id: string;
  constructor(entity: string, id: string | number | readonly (string | number)[]) {
    const shown = typeof id === 'object' ? id.join(', ') : String(id);
    super(`No ${entity} with id ${shown}.`);
    this.entity = entity;
    this.id = shown;
  }
}

/**
 * A link from an email whose token matches nothing (or no longer works). Not a NotFoundError:
 * the token is a secret and never goes into a message, which instead says what to do next.
 */
export class LinkNotValidError extends DomainError {
  override readonly code = 'not_found';
}

export class ConflictError extends DomainError {
  override readonly code = 'conflict';
}

export class UnauthorizedError extends DomainError {
  override readonly code = 'unauthorized';
}

export class ForbiddenError extends DomainError {
  override readonly code = 'forbidden';
}

export class RateLimitedError extends DomainError {
  override readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
