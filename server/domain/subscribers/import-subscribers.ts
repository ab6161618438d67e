import { setImmediate } from 'node:timers/promises';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { components, lists, subscribers } from '../../../db/schema/index.ts';
import type { Tx } from '../../../db/client.ts';
import type { Actor } from '../shared/actor.ts';
import { DatabaseBusyError } from '../shared/database-busy.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { recordAudit } from '../shared/writes.ts';
import { requireAdmin } from '../lists/create-list.ts';
import { addressOnDomains, effectiveDomains } from '../lists/list-rules.ts';
import { csvRefused, refuseMisreadText } from './csv-text.ts';
import { emailInput } from './inputs.ts';
import { companyDomains } from './subscriber-reads.ts';
import { hashToken, linkKey, manageToken } from './tokens.ts';
import { type Parsed, runParsed, verb } from '../shared/verb.ts';

export const MAX_IMPORT_ROWS = 50_000;
/** Rows written per transaction (a few milliseconds of write lock each). */
const IMPORT_CHUNK = 500;
/** New subscribers per INSERT: 14 columns each, well under SQLite's 32,766 bound parameters. */
const INSERT_ROWS = 100;

export const importInput = z.strictObject({
  listId: z.string().min(1, 'choose a list').max(64, 'is not an id'),
  csv: z.string().max(10_000_000, 'the file is larger than 10 MB'),
});

export interface ImportReport {
  imported: number;
  alreadySubscribed: number;
  rejected: { line: number; value: string; reason: string }[];
}

/** One CSV record: its fields and the line it starts on (from 1). */
interface CsvRecord {
  line: number;
  fields: string[];
  blank: boolean;
}

/**
 * Splits CSV text into records (RFC 4180 quoting; `,`, `;` or a tab between fields: Excel's
 * "Unicode text" separates by tabs). A quoted field may
 * hold line breaks, as spreadsheets write a note with several lines: it stays in its record, and
 * each record keeps the line it starts on, so a rejected row is named where an editor shows it.
 * A quote that is never closed would swallow the rest of the file into one field: then every
 * line is read as its own record (`multiline` false), so one stray quote costs one row.
 */
function csvRecords(text: string, multiline = true): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let cur = '';
  let quoted = false;
  let raw = false;
  let line = 1;
  let start = 1;
  const endRecord = () => {
    fields.push(cur.trim());
    out.push({ line: start, fields, blank: !raw });
    fields = [];
    cur = '';
    raw = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const lineBreak = ch === '\n' || ch === '\r';
    if (lineBreak) {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
    }
    if (quoted && lineBreak && !multiline) quoted = false;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += lineBreak ? '\n' : ch;
      continue;
    }
    if (lineBreak) {
      endRecord();
      start = line;
      continue;
    }
    if (ch.trim()) raw = true;
    // Only a quote that opens a field quotes it; one inside a value (O"Brien) is kept as text.
    if (ch === '"' && !cur.trim()) quoted = true;
    else if (ch === ',' || ch === ';' || ch === '\t') {
      fields.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (quoted && multiline) return csvRecords(text, false);
  if (raw || fields.length || cur.trim()) endRecord();
  return out;
}

/** A header cell as a key: "E-mail Address" and "email_address" both read `emailaddress`. */
const headerKey = (h: string) => h.toLowerCase().replace(/[^a-z]/g, '');
const EMAIL_HEADERS = new Set(['email', 'emailaddress', 'mail', 'mailaddress']);

/** A checked CSV: the rows to write and those already rejected, with their line numbers. */
export interface PreparedImport {
  listId: string;
  rows: PreparedRow[];
  rejected: ImportReport['rejected'];
  /** Data rows in the file (everything but the header and blank lines). */
  rowsTotal: number;
}

/** One checked row: the address, its component choice (null: every component) and its state. */
export interface PreparedRow {
  line: number;
  email: string;
  componentIds: string[] | null;
  /** Confirmed unless the source says they never confirmed; a pending row gets no email. */
  state?: 'confirmed' | 'pending';
}

/**
 * The checks every imported address passes, whether it comes from a CSV or another status
 * page: a real address, allowed on the list, not twice, components that exist.
 */
function rowChecker(
  domains: ReturnType<typeof effectiveDomains>,
  componentByKey: Map<string, string>,
) {
  const seen = new Set<string>();
  return (
    value: string,
    keys: string[] | null,
  ): { email: string; componentIds: string[] | null } | { reason: string } => {
    const parsed = emailInput.safeParse(value);
    if (!parsed.success) return { reason: 'not an email address' };
    const email = parsed.data;
    if (!addressOnDomains(email, domains))
      return {
        reason:
          domains === 'anyone'
            ? 'not allowed'
            : `not on the list's domains (${domains.join(', ') || 'none set'})`,
      };
    if (seen.has(email)) return { reason: 'appears twice in the file' };
    let componentIds: string[] | null = null;
    if (keys && keys.length) {
      const ids = keys.map((k) => componentByKey.get(k) ?? componentByKey.get(k.toLowerCase()));
      const unknown = keys.filter((_, j) => !ids[j]);
      if (unknown.length)
        return { reason: `unknown component ${unknown.map((u) => `"${u}"`).join(', ')}` };
      componentIds = [...new Set(ids as string[])];
    }
    seen.add(email);
    return { email, componentIds };
  };
}

async function listAndComponents(deps: DomainDeps, listId: string) {
  const [list] = await deps.db.select().from(lists).where(eq(lists.id, listId));
  if (!list) throw new NotFoundError('list', listId);
  const domains = effectiveDomains(list, await companyDomains(deps.db, deps.config));
  const allComponents = await deps.db
    .select({ id: components.id, name: components.name })
    .from(components);
  const componentByKey = new Map<string, string>();
  for (const c of allComponents) {
    componentByKey.set(c.id, c.id);
    componentByKey.set(c.name.toLowerCase(), c.id);
  }
  return { list, domains, componentByKey };
}

export const prepareRowsInput = z.strictObject({
  listId: z.string().min(1, 'choose a list').max(64, 'is not an id'),
  rows: z
    .array(
      z.strictObject({
        email: z.string().max(300),
        componentIds: z.array(z.string().max(64)).max(500).nullable(),
        state: z.enum(['confirmed', 'pending']),
      }),
    )
    .max(MAX_IMPORT_ROWS, `at most ${MAX_IMPORT_ROWS} rows per import`),
});

/**
 * Checks addresses read from another status page (component ids already Herald's), with the
 * same rules as a CSV; `line` is the row's place in the input, from 1.
 */
export const prepareRows = verb(prepareRowsInput, prepareRowsParsed);
async function prepareRowsParsed(
  deps: DomainDeps,
  input: Parsed<typeof prepareRowsInput>,
  actor: Actor,
): Promise<PreparedImport> {
  requireAdmin(actor);
  const { list, domains, componentByKey } = await listAndComponents(deps, input.listId);
  const check = rowChecker(domains, componentByKey);
  const rows: PreparedRow[] = [];
  const rejected: ImportReport['rejected'] = [];
  input.rows.forEach((r, i) => {
    const checked = check(r.email, r.componentIds);
    if ('reason' in checked) rejected.push({ line: i + 1, value: r.email, reason: checked.reason });
    else rows.push({ line: i + 1, ...checked, state: r.state });
  });
  return { listId: list.id, rows, rejected, rowsTotal: input.rows.length };
}

/**
 * Reads and checks a CSV of addresses that already consented elsewhere. CSV: an `email` column
 * (or the first column), optionally `components` with component names or ids separated by
 * `|`. Nothing is written; a file that cannot be imported at all throws.
 */
export const prepareImport = verb(importInput, prepareImportParsed);
async function prepareImportParsed(
  deps: DomainDeps,
  input: Parsed<typeof importInput>,
  actor: Actor,
): Promise<PreparedImport> {
  requireAdmin(actor);
  const { list, domains, componentByKey } = await listAndComponents(deps, input.listId);

  refuseMisreadText(input.csv);
  const records = csvRecords(input.csv.replace(/^\uFEFF/, '')).filter((r) => !r.blank);
  if (records.length > MAX_IMPORT_ROWS + 1) {
    throw new ValidationError(
      `At most ${MAX_IMPORT_ROWS.toLocaleString('en-US')} rows per import; split the file.`,
      { csv: 'too many rows' },
    );
  }
  // A header names the address column wherever it is ("First Name,Last Name,Email Address", as
  // mail tools export); without one, the addresses are in the first column.
  let emailCol = 0;
  let componentsCol = -1;
  let start = 0;
  const head = (records[0]?.fields ?? []).map(headerKey);
  const named = head.findIndex((h) => EMAIL_HEADERS.has(h));
  if (named >= 0) {
    emailCol = named;
    componentsCol = head.indexOf('components');
    start = 1;
  }

  nothingToImport(records, named, emailCol);

  const check = rowChecker(domains, componentByKey);
  const report: Pick<ImportReport, 'rejected'> = { rejected: [] };
  const rows: PreparedRow[] = [];
  for (const { line, fields } of records.slice(start)) {
    const value = (fields[emailCol] ?? '').slice(0, 300);
    const rawComponents = componentsCol >= 0 ? (fields[componentsCol] ?? '').trim() : '';
    const keys = rawComponents
      ? rawComponents
          .split('|')
          .map((k) => k.trim())
          .filter(Boolean)
      : null;
    const checked = check(value, keys);
    if ('reason' in checked) report.rejected.push({ line, value, reason: checked.reason });
    else rows.push({ line, ...checked });
  }
  return {
    listId: list.id,
    rows,
    rejected: report.rejected,
    rowsTotal: rows.length + report.rejected.length,
  };
}

const CSV_HINT =
  'Export the list as a CSV file with one address per row, under a header named "email" (or with the addresses in the first column).';

/**
 * A file that cannot hold one subscriber is refused before anything starts, rather than
 * "importing" nothing: empty, a header alone, or no column that holds an address.
 */
function nothingToImport(records: CsvRecord[], named: number, emailCol: number) {
  if (records.length === 0) throw csvRefused(`The file is empty. ${CSV_HINT}`);
  if (named >= 0 && records.length === 1)
    throw csvRefused(`The file has only a header and no rows of addresses under it. ${CSV_HINT}`);
  if (named < 0 && !records.some((r) => (r.fields[emailCol] ?? '').includes('@'))) {
    const headers = records[0]!.fields
      .filter(Boolean)
      .slice(0, 10)
      .map((h) => `"${h.slice(0, 40)}"`)
      .join(', ');
    throw csvRefused(
      `The file has no column of email addresses (its first row reads ${headers || 'nothing'}). ${CSV_HINT}`,
    );
  }
}

/** Where a running import stands, after each chunk (written in that chunk's transaction). */
export interface ImportProgress {
  rowsDone: number;
  rowsTotal: number;
  imported: number;
  alreadySubscribed: number;
  rejectedCount: number;
  /** Every rejected row, sorted by line, on the last chunk only. */
  rejected: ImportReport['rejected'] | null;
  last: boolean;
}

export interface WriteImportOptions {
  /** Runs inside each chunk's transaction, with the totals that chunk commits. */
  inChunk?: (tx: Tx, progress: ImportProgress) => Promise<void>;
  /**
   * A chunk that met a busy or full database for longer than a write may wait: wait and try the
   * same chunk again (resolve) or give up (throw). Without it the error propagates.
   */
  onRefused?: (err: DatabaseBusyError) => Promise<void>;
  /** Called once a chunk has committed. */
  afterChunk?: (progress: ImportProgress) => void;
  /** Checked between chunks: a stopping process leaves after the chunk it is writing. */
  stopped?: () => boolean;
}

/**
 * Writes checked rows confirmed at once (no confirmation email), in chunks of 500 rows, each
 * its own transaction. Returns the report, or null when `stopped` ended it early.
 */
export async function writeImport(
  deps: DomainDeps,
  prepared: PreparedImport,
  actor: Actor,
  opts: WriteImportOptions = {},
): Promise<ImportReport | null> {
  requireAdmin(actor);
  const now = deps.clock.now();
  const { rows } = prepared;
  const list = { id: prepared.listId };
  const report: ImportReport = {
    imported: 0,
    alreadySubscribed: 0,
    rejected: [...prepared.rejected],
  };
  const key = await linkKey(deps.db, deps.config);
  // One short transaction per chunk: a 50,000-row file never holds the write lock for more
  // than a moment, so another Herald process on the same database (its outbox, an admin
  // saving an update) waits a few milliseconds instead of failing. An import stopped midway
  // keeps the chunks it wrote; running it again finds them already subscribed.
  for (let i = 0; i === 0 || i < rows.length; i += IMPORT_CHUNK) {
    if (opts.stopped?.()) return null;
    const chunk = rows.slice(i, i + IMPORT_CHUNK);
    const last = i + IMPORT_CHUNK >= rows.length;
    // Counted per attempt: a transaction retried after meeting a busy database starts over.
    const c: ImportReport = { imported: 0, alreadySubscribed: 0, rejected: [] };
    const writeChunk = () =>
      deps.db.transaction(async (tx) => {
        c.imported = c.alreadySubscribed = 0;
        c.rejected = [];
        const existing = await tx
          .select({ id: subscribers.id, email: subscribers.email, state: subscribers.state })
          .from(subscribers)
          .where(
            and(
              eq(subscribers.listId, list.id),
              inArray(
                subscribers.email,
                chunk.map((r) => r.email),
              ),
            ),
          );
        const byEmail = new Map(existing.map((e) => [e.email, e]));
        const added: (typeof subscribers.$inferInsert)[] = [];
        for (const r of chunk) {
          const found = byEmail.get(r.email);
          if (found?.state === 'confirmed') {
            c.alreadySubscribed++;
            continue;
          }
          // Leaving is final: an import never overrides someone's own unsubscribe.
          if (found?.state === 'unsubscribed') {
            c.rejected.push({
              line: r.line,
              value: r.email,
              reason: 'unsubscribed earlier; only they can subscribe again',
            });
            continue;
          }
          // Someone who never confirmed at the source stays pending here, with no link to
          // confirm by: asking again on the page sends them one. Nobody gets mail from an import.
          const pending = r.state === 'pending';
          if (pending && found) {
            c.alreadySubscribed++;
            continue;
          }
          const id = found?.id ?? newId();
          const fields = {
            state: pending ? ('pending' as const) : ('confirmed' as const),
            componentIds: r.componentIds,
            manageTokenHash: hashToken(manageToken(key, id)),
            confirmTokenHash: null,
            confirmExpiresAt: null,
            confirmedAt: pending ? null : now,
            unsubscribedAt: null,
            source: 'import',
            updatedAt: now,
          };
          if (found) await tx.update(subscribers).set(fields).where(eq(subscribers.id, id));
          else added.push({ id, listId: list.id, email: r.email, createdAt: now, ...fields });
          c.imported++;
        }
        // New addresses go in a few statements per chunk, not one each: a 50,000-row file took
        // 7.4 s of CPU, most of it preparing and running 50,000 single-row inserts.
        for (let j = 0; j < added.length; j += INSERT_ROWS)
          await tx.insert(subscribers).values(added.slice(j, j + INSERT_ROWS));
        if (last)
          await recordAudit(tx, actor, now, {
            action: 'subscriber.import',
            objectType: 'list',
            objectId: list.id,
            after: {
              imported: report.imported + c.imported,
              alreadySubscribed: report.alreadySubscribed + c.alreadySubscribed,
              rejected: report.rejected.length + c.rejected.length,
            },
          });
        const p: ImportProgress = {
          rowsDone: prepared.rejected.length + Math.min(rows.length, i + IMPORT_CHUNK),
          rowsTotal: prepared.rowsTotal,
          imported: report.imported + c.imported,
          alreadySubscribed: report.alreadySubscribed + c.alreadySubscribed,
          rejectedCount: report.rejected.length + c.rejected.length,
          rejected: last
            ? [...report.rejected, ...c.rejected].sort((a, b) => a.line - b.line)
            : null,
          last,
        };
        await opts.inChunk?.(tx, p);
        return p;
      });
    let progress: ImportProgress;
    for (;;) {
      try {
        progress = await writeChunk();
        break;
      } catch (err) {
        if (!(err instanceof DatabaseBusyError) || !opts.onRefused) throw err;
        if (opts.stopped?.()) return null;
        await opts.onRefused(err);
      }
    }
    report.imported += c.imported;
    report.alreadySubscribed += c.alreadySubscribed;
    report.rejected.push(...c.rejected);
    opts.afterChunk?.(progress);
    // The embedded driver is synchronous and every await above resolved at once: without a
    // turn of the event loop here, this process would answer no request until the last chunk.
    await setImmediate();
  }
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}

/**
 * Imports a CSV in one call (the report when every chunk is written): `prepareImport` then
 * `writeImport`. The admin pages and `POST /lists/{id}/imports` run it in the background
 * instead (import-jobs.ts), so a big file shows its progress.
 */
export const importSubscribers = verb(importInput, importSubscribersParsed);
async function importSubscribersParsed(
  deps: DomainDeps,
  input: Parsed<typeof importInput>,
  actor: Actor,
): Promise<ImportReport> {
  const prepared = await runParsed(prepareImport, deps, input, actor);
  const report = await writeImport(deps, prepared, actor);
  return report!;
}
