import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { ComponentStatus } from '../../db/schema/enums.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { importComponent } from '../domain/imports/import-records.ts';
import { DatabaseBusyError, databaseFault } from '../domain/shared/database-busy.ts';
import {
  DomainError,
  ForbiddenError,
  UnauthorizedError,
  ValidationError,
} from '../domain/shared/errors.ts';
import { isValidTimeZone, zonedLocalToUtc } from '../domain/shared/zoned-time.ts';
import {
  prepareRows,
  type prepareRowsInput,
  writeImport,
} from '../domain/subscribers/import-subscribers.ts';
import { readDefaultPublicList } from '../domain/subscribers/read-subscriber-page.ts';

// What every importer shares: reading the source over HTTP, telling the operator how far it
// got, and the report of what it brought and what it could not.

/** The source could not be read: the message says what it answered and what to do. */
export class SourceError extends DomainError {
  override readonly code = 'source_failed';
}

export interface Progress {
  /** `done` of `total` items of one kind so far. */
  step(what: string, done: number, total: number): void;
  /** One line worth telling (a page read, a retry). */
  note(message: string): void;
}

export const silentProgress: Progress = { step() {}, note() {} };

export interface ImportCounts {
  created: number;
  existing: number;
}

export interface ImportReport {
  source: string;
  counts: Record<string, ImportCounts>;
  /** What could not be brought over, and why, one line each. */
  unmapped: string[];
}

export interface ImportContext {
  deps: DomainDeps;
  actor: Actor;
  progress: Progress;
  report: ImportReport;
}

export function newReport(source: string): ImportReport {
  return { source, counts: {}, unmapped: [] };
}

export function count(report: ImportReport, kind: string, created: boolean) {
  const c = (report.counts[kind] ??= { created: 0, existing: 0 });
  if (created) c.created++;
  else c.existing++;
}

/**
 * Runs one object's import; a problem with that object (bad data at the source, a conflict
 * with what Herald holds, a reference to something that is not here) is reported and the import
 * goes on with the next one. A database that refuses writes (busy past the wait, full,
 * read-only) is no problem of the object: it stops the import with its message, and a second
 * run skips what this one wrote.
 */
export async function each<T>(
  ctx: ImportContext,
  what: string,
  items: readonly T[],
  label: (item: T) => string,
  run: (item: T) => Promise<boolean>,
): Promise<void> {
  let done = 0;
  for (const item of items) {
    try {
      count(ctx.report, what, await run(item));
    } catch (err) {
      if (!objectProblem(err)) throw err;
      ctx.report.unmapped.push(`${label(item)}: ${err.message}`);
    }
    done++;
    if (done % 50 === 0 || done === items.length) ctx.progress.step(what, done, items.length);
  }
}

/** A domain error about the object itself, as opposed to the database or who runs the import. */
function objectProblem(err: unknown): err is DomainError {
  return (
    err instanceof DomainError &&
    !(err instanceof DatabaseBusyError) &&
    !(err instanceof ForbiddenError) &&
    !(err instanceof UnauthorizedError) &&
    databaseFault(err) === null
  );
}

const RETRIES = 4;

/**
 * GETs JSON from the source. A 429 or 5xx is retried after the Retry-After it asks for (or a
 * short backoff); anything else that is not 2xx is a SourceError naming the URL and the answer.
 */
export async function getJson(
  url: string,
  progress: Progress,
  headers: Record<string, string> = {},
): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...headers },
        signal: AbortSignal.timeout(30_000),
        redirect: 'follow',
      });
    } catch (err) {
      if (attempt < RETRIES) {
        progress.note(`${url}: ${(err as Error).message}; trying again`);
        await sleep(250 * 2 ** attempt);
        continue;
      }
      throw new SourceError(`Could not reach ${url}: ${(err as Error).message}. Check the URL.`);
    }
    if ((res.status === 429 || res.status >= 500) && attempt < RETRIES) {
      const asked = Number(res.headers.get('retry-after') ?? 'NaN');
      const wait = Math.min(Number.isFinite(asked) && asked >= 0 ? asked : 2 ** attempt * 0.25, 30);
      progress.note(`${url} answered ${res.status}; trying again in ${wait} s`);
      await res.body?.cancel();
      await sleep(wait * 1000);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const hint =
        res.status === 401 || res.status === 403
          ? ' Check the API key or token.'
          : res.status === 404
            ? ' Check the URL (and the page id or slug).'
            : '';
      throw new SourceError(`${url} answered ${res.status} ${res.statusText}.${hint}`);
    }
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceError(`${url} did not answer JSON; is this the right address?`);
    }
  }
}

/**
 * A source's answer checked against the shape the importer expects; any other shape is a
 * SourceError naming the URL, what was expected (`expected`: "an Uptime Kuma status page") and
 * the first field that did not fit.
 */
export function parseSource<S extends z.ZodType>(
  schema: S,
  value: unknown,
  url: string,
  expected: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new SourceError(
    `${url} is not ${expected} (${issue.path.join('.') || 'body'}: ${issue.message}).`,
  );
}

/**
 * A source's time: ISO 8601 with its offset, or "2024-05-01 10:00:00" without one, which is
 * wall-clock time in `zone` (an IANA name; Uptime Kuma's windows) or else UTC (what Cachet and
 * Uptime Kuma write elsewhere). An invalid Date when it is neither.
 */
export function sourceTime(s: string, zone?: string | null): Date {
  if (/[zZ]|[+-]\d\d:?\d\d$/.test(s)) return new Date(s);
  const wall = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(s.trim());
  if (wall && zone && isValidTimeZone(zone)) {
    const minute = zonedLocalToUtc(`${wall[1]}T${wall[2]}`, zone);
    if (minute) return new Date(minute.getTime() + Math.round(Number(wall[3] ?? 0) * 1000));
  }
  return new Date(`${s.replace(' ', 'T')}Z`);
}

/** Pause before a subscriber chunk that met a held write lock is tried again. */
const LOCK_RETRY_MS = 250;

/**
 * The source's subscribers onto Herald's default public list, in chunks, by the subscriber
 * import's own rules: an address already there or gone by choice stays as it is. Counted under
 * `subscribers`; every address that was refused, and a Herald without a public list, is reported.
 */
export async function writeSubscribers(
  ctx: ImportContext,
  rows: z.input<typeof prepareRowsInput>['rows'],
): Promise<void> {
  const { deps, actor, progress } = ctx;
  const list = await readDefaultPublicList(deps);
  if (!list) {
    ctx.report.unmapped.push('subscribers: Herald has no public list to put them on');
    return;
  }
  const prepared = await prepareRows(deps, { listId: list.id, rows }, actor);
  // A running server may hold the write lock for a while (its own big import): the chunk that
  // met it is tried again once the lock is free, saying so once per wait. A full disk is not
  // passing, and stops the import with its message; run again, it counts what came over.
  let waiting = false;
  const report = await writeImport(deps, prepared, actor, {
    onRefused: async (err) => {
      if (err.fault !== 'busy') throw err;
      if (!waiting) progress.note('waiting for the database: another process holds the write lock');
      waiting = true;
      await sleep(LOCK_RETRY_MS);
    },
    afterChunk: (p) => {
      waiting = false;
      progress.step('subscribers', p.rowsDone, p.rowsTotal);
    },
  });
  const c = (ctx.report.counts.subscribers ??= { created: 0, existing: 0 });
  c.created += report!.imported;
  c.existing += report!.alreadySubscribed;
  for (const r of report!.rejected) ctx.report.unmapped.push(`subscriber ${r.value}: ${r.reason}`);
}

/**
 * The source's groups as Herald groups, each kept in `ids` under `group:<source id>` for its
 * children to name. A group's own status is operational: it shows its children's worst.
 */
export async function importGroups<G extends { id: string | number }>(
  ctx: ImportContext,
  groups: readonly G[],
  ids: Map<string, string>,
  label: (group: G) => string,
  fields: (group: G) => { name: string; position: number; createdAt: Date },
): Promise<void> {
  await each(ctx, 'groups', groups, label, async (g) => {
    const r = await importComponent(
      ctx.deps,
      {
        source: ctx.report.source,
        sourceId: `group:${g.id}`,
        ...fields(g),
        isGroup: true,
        status: 'operational',
      },
      ctx.actor,
    );
    ids.set(`group:${g.id}`, r.id);
    return r.created;
  });
}

/** The base URL an operator typed, checked: http(s) only, no trailing slash. */
export function baseUrl(raw: string | undefined, flag: string): string {
  if (!raw) throw new ValidationError(`--${flag} is required.`, { [flag]: 'is required' });
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ValidationError(`--${flag} must be a URL such as https://status.example.com.`, {
      [flag]: 'is not a URL',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError(`--${flag} must be an http or https URL.`, {
      [flag]: 'must be http or https',
    });
  return u.toString().replace(/\/+$/, '');
}

/**
 * A component's status in Herald's words; a status Herald has no word for reads as operational
 * and is reported.
 */
export function componentStatusOr(
  ctx: ImportContext,
  where: string,
  status: ComponentStatus | undefined,
  sourceStatus: unknown,
): ComponentStatus {
  if (status) return status;
  ctx.report.unmapped.push(`${where}: status ${String(sourceStatus)} read as operational`);
  return 'operational';
}

/** Text cut to a verb's limit, with the cut reported. */
export function fit(ctx: ImportContext, text: string, max: number, where: string): string {
  if (text.length <= max) return text;
  ctx.report.unmapped.push(`${where}: shortened from ${text.length} to ${max} characters`);
  return `${text.slice(0, max - 1)}…`;
}
