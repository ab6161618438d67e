import { statusOf } from '../../http/errors.ts';
import type { ListReview } from '../../domain/broadcasts/review-lists.ts';
import type { z } from 'zod';
import {
  DomainError,
  RateLimitedError,
  type Said,
  ValidationError,
} from '../../domain/shared/errors.ts';
import { parseInput, parseMessages } from '../../domain/shared/parse.ts';
import { either } from '../../domain/shared/inputs.ts';
import { zonedLocalToUtc } from '../../domain/shared/zoned-time.ts';
import type { EmailPreview } from '../../mail/preview.ts';
import type { Deps } from '../../deps.ts';
import { type Actor, assertRole } from '../../domain/shared/actor.ts';
import { type OperationRow, runOperation } from '../../routes/operation.ts';

/** What was typed into a form, to show it again when validation fails. */
export type FormValues = Record<string, string | string[]>;

/** A form shown again: what went wrong, where, with what was typed. */
export interface FormFailure {
  ok: false;
  status: number;
  message: string;
  errors: Record<string, string>;
  /**
   * The same message and field messages by catalogue key, where the domain named one: public
   * pages show them in the reader's language (server/i18n/form-text.ts).
   */
  says?: Said;
  fieldSays?: Record<string, Said>;
  values: FormValues;
  /** The email this form would send, when "Preview email" or "Send a test" was pressed. */
  preview?: EmailPreview;
  /** A short confirmation to show with the form (e.g. "Test sent to ..."). */
  notice?: string;
  /** Seconds to wait, for a rate-limited form (sent as `Retry-After`). */
  retryAfter?: number;
  /** The form asks to be confirmed before it acts (e.g. resolving mails this many people). */
  confirm?: {
    recipients: number;
    /** The maintenance switch still on when resolving: what /maintenance says. */
    switchOn?: { message: string | null } | null;
    /** Who it goes to: each list with its subject lines and count, and following reporters. */
    review?: { lists: ListReview[]; recipients: number; reporters: number } | null;
  };
}

/** The result of handling a form POST: go somewhere, or show the form again with errors. */
export type FormOutcome = { ok: true; redirect: string } | FormFailure;

/**
 * What an admin page's POST answers: where to go, the refusal the page shows again with what was
 * typed, or (creating a token or a webhook) an answer shown in place, since a redirect would
 * lose the secret it shows once.
 */
export type PagePostAnswer = FormOutcome | { ok: true; redirect: null; [shown: string]: unknown };

/**
 * The result of a page action that shows its answer in place rather than redirecting (the
 * subscriber pages: "check your inbox", "you are subscribed"), or the same failure as a form.
 */
export type FormResult<T> = { ok: true; value: T } | FormFailure;

/** Every field of a submitted form; repeated names become arrays. Passwords are never kept. */
export function formValues(form: FormData): FormValues {
  const out: FormValues = {};
  for (const [k, v] of form.entries()) {
    if (typeof v !== 'string' || k === '_csrf' || k === '_submission' || /password/i.test(k))
      continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function str(values: FormValues, key: string): string {
  const v = values[key];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

export function list(values: FormValues, key: string): string[] {
  const v = values[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Empty fields mean "not given" for optional domain inputs. */
export function optional(values: FormValues, key: string): string | undefined {
  const v = str(values, key).trim();
  return v === '' ? undefined : v;
}

/**
 * A whole number typed into a field (forms send strings; the verbs take numbers). Empty means
 * "not given"; anything else that is not a whole number is a field error naming `key`.
 */
export function intField(
  values: FormValues,
  key: string,
  message = 'must be a whole number',
): number | undefined {
  const v = str(values, key).trim();
  if (v === '') return undefined;
  if (!/^-?\d{1,9}$/.test(v)) throw new ValidationError(`${key}: ${message}`, { [key]: message });
  return Number(v);
}

/** One of a fixed set of values (a select or radio); anything else is a field error. */
export function choice<const T extends readonly string[]>(
  values: FormValues,
  key: string,
  options: T,
  message = `must be ${either(options)}`,
): T[number] {
  const v = str(values, key);
  const found = options.find((o) => o === v);
  if (found === undefined) throw new ValidationError(`${key}: ${message}`, { [key]: message });
  return found;
}

/** A `datetime-local` field read in the page's time zone; a field error when it is not a time. */
export function dateField(
  values: FormValues,
  key: string,
  tz: string,
  message = 'pick a date and time',
): Date {
  const text = str(values, key);
  const at = zonedLocalToUtc(text, tz);
  if (!at) {
    const said = notOnCalendar(text) ?? message;
    throw new ValidationError(`${key}: ${said}`, { [key]: said });
  }
  return at;
}

/**
 * The field message for a date and time typed in the right form that the calendar does not
 * have ("2026-02-31T10:00"); null for anything else. Browsers without a date picker let such
 * text through, and rolling it over to another day would schedule what nobody typed.
 */
export function notOnCalendar(text: string): string | null {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/.test(t)) return null;
  return `there is no ${t.replace('T', ' ')}: check the day, month and time`;
}

export function checkbox(values: FormValues, key: string): boolean {
  const v = str(values, key);
  return v === 'on' || v === 'true' || v === '1';
}

/**
 * Runs a form action: a domain error becomes the form shown again with what was typed, the
 * field-keyed messages and the error's status; anything else propagates (a 500).
 */
export async function runForm(
  values: FormValues,
  action: () => Promise<string>,
  fieldNames: Record<string, string> = {},
): Promise<FormOutcome> {
  const r = await runPageAction(values, action, fieldNames);
  return r.ok ? { ok: true, redirect: r.value } : r;
}

/** runForm for actions whose page shows the answer itself: the same failure path. */
export async function runPageAction<T>(
  values: FormValues,
  action: () => Promise<T>,
  fieldNames: Record<string, string> = {},
): Promise<FormResult<T>> {
  try {
    return { ok: true, value: await action() };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const errors: Record<string, string> = {};
    const fieldSays: Record<string, Said> = {};
    if (err instanceof ValidationError) {
      for (const [k, v] of Object.entries(err.fields)) {
        const name = fieldNames[k] ?? k.split('.')[0] ?? k;
        if (name in errors) continue;
        errors[name] = v;
        const said = err.fieldSays[k];
        if (said) fieldSays[name] = said;
      }
    }
    const message =
      err instanceof ValidationError ? describeErrors(errors, err.message) : err.message;
    const n = Object.keys(errors).length;
    const says: Said | undefined =
      err instanceof ValidationError && n > 0
        ? { key: 'form.fix', values: { count: n } }
        : err.says;
    const failure: FormFailure = { ok: false, status: statusOf(err), message, errors, values };
    if (says) failure.says = says;
    if (Object.keys(fieldSays).length > 0) failure.fieldSays = fieldSays;
    if (err instanceof RateLimitedError) failure.retryAfter = err.retryAfterSeconds;
    return failure;
  }
}

function describeErrors(errors: Record<string, string>, fallback: string): string {
  const n = Object.keys(errors).length;
  if (n === 0) return fallback;
  return n === 1
    ? 'Please fix the field marked below.'
    : `Please fix the ${n} fields marked below.`;
}

/**
 * Where to go after sign-in: only a path on Herald's own origin (no open redirect). `next` is
 * resolved with the WHATWG URL parser, as the browser will resolve the Location header, so
 * tricks such as `/\t/evil.example` (tabs are stripped, leaving `//evil.example`) or
 * backslashes land on another origin and are refused. The result is the parser's own
 * serialisation: control characters come out percent-encoded, so it is always a valid header.
 */
export function safeNext(
  next: string | undefined | null,
  fallback = '/admin',
  origin = 'https://herald.invalid',
): string {
  if (!next || !next.startsWith('/')) return fallback;
  const base = new URL(origin);
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  const out = url.pathname + url.search + url.hash;
  // The answer is itself resolved again by the browser: `/.//evil.example/` resolves here to
  // the path `//evil.example/`, which a browser reads as another host. Only a path with one
  // leading slash that still lands on this origin is followed.
  if (!out.startsWith('/') || out.startsWith('//') || out.startsWith('/\\')) return fallback;
  if (new URL(out, base).origin !== base.origin) return fallback;
  return out;
}

/**
 * Form-only fields (a time typed in the page's zone, component selects) are read before the
 * domain verb runs. Their errors are collected here and, when there are any, reported together
 * with the domain schema's own, so the person sees every problem at once.
 */
export class FieldErrors {
  readonly errors: Record<string, string> = {};
  take<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const [k, v] of Object.entries(err.fields)) this.errors[k] ??= v;
      return fallback;
    }
  }
  /**
   * Parses the converted input with the verb's own schema and hands the typed result on; every
   * problem (form conversions and schema) is reported at once.
   */
  parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
    this.throwWith(schema, input);
    return parseInput(schema, input);
  }
  /** Throws every problem (form and schema) at once when the form part had any. */
  throwWith(schema: z.ZodType, input: unknown): void {
    if (Object.keys(this.errors).length === 0) return;
    const r = schema.safeParse(input, parseMessages);
    const fields = { ...this.errors };
    if (!r.success) for (const i of r.error.issues) fields[i.path.join('.') || '_'] ??= i.message;
    throw new ValidationError('Please fix the fields marked below.', fields);
  }
}

/** The page's time zone: what every date field of the admin forms is read in. */
export async function pageZone(deps: Pick<Deps, 'reader'>): Promise<string> {
  return (await deps.reader.page()).time_zone;
}

/**
 * One form action over an operation row: what is about the form (reading the typed strings
 * into the row's input, where to go after), while the row's role, schema and verb are the same
 * ones the API and the CLI run.
 */
export interface FormAction<R = any> {
  row: OperationRow<any, R>;
  /**
   * The row's unparsed input (path field included) from what was typed. Conversions that fail
   * are collected in `fe` and reported together with the schema's own problems.
   */
  read: (values: FormValues, fe: FieldErrors) => unknown;
  /** Where to go once it ran (after any follow-up the form itself offers). */
  done: (result: R, values: FormValues) => string | Promise<string>;
  /**
   * Show a refusal's message alone, for a page with none of the fields it names (a webhook's
   * test names the URL, which its page does not edit).
   */
  messageOnly?: boolean;
}

/** A form action, typed from its row. */
export function formAction<I, R>(
  row: OperationRow<I, R>,
  read: FormAction<R>['read'],
  done: FormAction<R>['done'],
  opts: { messageOnly?: boolean } = {},
): FormAction<R> {
  return { row, read, done, ...opts };
}

/**
 * Runs an operation row from a form: reads the strings, reports every problem at once when a
 * conversion failed, then runs the row for the signed-in actor as the API and CLI do.
 */
export async function runRow<R>(
  deps: Deps,
  actor: Actor,
  row: OperationRow<any, R>,
  values: FormValues,
  read: FormAction<R>['read'],
): Promise<R> {
  // The role first, as the API and the CLI check it: nobody learns about fields they may not send.
  assertRole(actor, row.role);
  const fe = new FieldErrors();
  const raw = await read(values, fe);
  if (row.input) fe.throwWith(row.input, raw);
  else if (Object.keys(fe.errors).length)
    throw new ValidationError('Please fix the fields marked below.', fe.errors);
  return runOperation(deps, row, raw, actor);
}

/** A page action with no admin operation behind it (it runs a verb the API does not offer). */
export type FormOnlyAction = (values: FormValues) => Promise<string>;

/**
 * A page's forms told apart by `_action`: runs the one named, shows the form again on a domain
 * error, and refuses an action the page does not have.
 */
export function runFormActions(
  deps: Deps,
  actor: Actor,
  actions: Record<string, FormAction | FormOnlyAction>,
  values: FormValues,
): Promise<FormOutcome> {
  return runForm(values, async () => {
    const name = str(values, '_action');
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!action) throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
    return typeof action === 'function' ? action(values) : actOn(deps, actor, action, values);
  });
}

/** A form with one action: runs it, or shows the form again on a domain error. */
export function runFormAction(
  deps: Deps,
  actor: Actor,
  action: FormAction,
  values: FormValues,
): Promise<FormOutcome> {
  return runForm(values, () => actOn(deps, actor, action, values));
}

async function actOn(deps: Deps, actor: Actor, action: FormAction, values: FormValues) {
  const result = await runRow(deps, actor, action.row, values, action.read).catch((err) => {
    throw action.messageOnly && err instanceof ValidationError
      ? new ValidationError(err.message)
      : err;
  });
  return action.done(result, values);
}
