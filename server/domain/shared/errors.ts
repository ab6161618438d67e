/** Typed domain errors; the single HTTP error mapper turns them into statuses. */
export class DomainError extends Error {
  readonly code: string = 'error';
  readonly status: number = 400;
}

export class ValidationError extends DomainError {
  override readonly code = 'validation_failed';
  override readonly status = 422;
  /** Field name to message, for forms that re-render with what was typed. */
  readonly fields: Record<string, string>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
}

export class NotFoundError extends DomainError {
  override readonly code = 'not_found';
  override readonly status = 404;
}

export class ConflictError extends DomainError {
  override readonly code = 'conflict';
  override readonly status = 409;
}

export class UnauthorizedError extends DomainError {
  override readonly code = 'unauthorized';
  override readonly status = 401;
}

export class ForbiddenError extends DomainError {
  override readonly code = 'forbidden';
  override readonly status = 403;
}

export class RateLimitedError extends DomainError {
  override readonly code = 'rate_limited';
  override readonly status = 429;
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
