/** Typed domain errors carry a code; http/errors.ts maps each code to an HTTP status. */
export class DomainError extends Error {
  readonly code: string = 'error';
}

export class ValidationError extends DomainError {
  override readonly code = 'validation_failed';
  /** Field name to message, for forms that re-render with what was typed. */
  readonly fields: Record<string, string>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
}

export class NotFoundError extends DomainError {
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
