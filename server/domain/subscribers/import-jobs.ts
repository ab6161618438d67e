import { and, desc, eq } from 'drizzle-orm';
import { writeWait } from '../../../db/client.ts';
import { lists, subscriberImports } from '../../../db/schema/index.ts';
import type { SubscriberImportState } from '../../../db/schema/enums.ts';
import type { Actor } from '../shared/actor.ts';
import { describeWriteWait } from '../shared/database-busy.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { requireAdmin } from '../lists/create-list.ts';
import { type Parsed, runParsed, verb } from '../shared/verb.ts';
import {
  importInput,
  type ImportReport,
  prepareImport,
  writeImport,
} from './import-subscribers.ts';

/** Rejected rows kept for the report; the count covers them all. */
const REJECTED_KEPT = 1000;
/** A chunk that has not committed for this long is reported with what it waits for. */
const WAIT_SHOWN_MS = 1000;
/** Without a chunk for this long, a reader in another process says the import may have stopped. */
const STALE_MS = 15_000;
/** Pause before a chunk refused by a busy or full database is tried again. */
const REFUSED_PAUSE_MS = 1000;

interface LiveImport {
  /** When the last chunk committed (epoch ms): a chunk pending long after it is waiting. */
  lastCommitAt: number;
  finished: Promise<void>;
}

/**
 * The imports this process runs. It knows what a pending chunk waits for (a write lock held by
 * another process, a full disk), which the database cannot say while it refuses writes, and
 * stops them cleanly: `stop()` lets the chunk being written finish and marks the rest undone.
 */
export class ImportJobs {
  readonly live = new Map<string, LiveImport>();
  stopping = false;
  private wakeUp = new Set<() => void>();
  private readonly onError: (message: string) => void;
  constructor(onError: (message: string) => void = () => {}) {
    this.onError = onError;
  }

  /** Waits `ms`, or less when the process stops. */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp.add(done);
    });
  }

  report(message: string) {
    this.onError(message);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.wakeUp]) wake();
    await Promise.allSettled([...this.live.values()].map((l) => l.finished));
  }
}

export type ImportDeps = DomainDeps & { imports: ImportJobs };

/** What the API and the pages show of an import. */
export interface ImportView {
  id: string;
  listId: string;
  state: SubscriberImportState;
  rowsDone: number;
  rowsTotal: number;
  imported: number;
  alreadySubscribed: number;
  /** The first 1,000 rejected rows with their reason; `errorCount` counts them all. */
  errors: ImportReport['rejected'];
  errorCount: number;
  /** Why the import ended early (failed, interrupted), with what to do. */
  error: string | null;
  /** Why a running import makes no progress right now, or null. */
  waiting: string | null;
  by: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

type Row = typeof subscriberImports.$inferSelect;

function viewOf(deps: ImportDeps, row: Row): ImportView {
  return {
    id: row.id,
    listId: row.listId,
    state: row.state,
    rowsDone: row.rowsDone,
    rowsTotal: row.rowsTotal,
    imported: row.imported,
    alreadySubscribed: row.alreadySubscribed,
    errors: row.rejected,
    errorCount: row.rejectedCount,
    error: row.error,
    waiting: row.state === 'running' ? waitingFor(deps, row) : null,
    by: row.actorLabel,
    startedAt: row.startedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

function waitingFor(deps: ImportDeps, row: Row): string | null {
  const live = deps.imports.live.get(row.id);
  if (live) {
    if (Date.now() - live.lastCommitAt < WAIT_SHOWN_MS) return null;
    const wait = writeWait(deps.db);
    return wait ? `waiting for the database, ${describeWriteWait(wait)}` : null;
  }
  // Run by another process: only its last chunk is known here.
  const quiet = deps.clock.now().getTime() - row.updatedAt.getTime();
  if (quiet < STALE_MS) return null;
  return `no progress for ${Math.round(quiet / 1000)} s: another process holds the database, or the Herald process running the import stopped. If it does not move on, import the file again: rows already imported count as already subscribed.`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Checks the CSV now (a file that cannot be imported at all is refused here, changing nothing),
 * then writes it in the background, chunk by chunk, each chunk's progress committed with its
 * rows. `finished` settles when the import has ended, however it ended.
 */
export const startSubscriberImport = verb(importInput, startSubscriberImportParsed);
async function startSubscriberImportParsed(
  deps: ImportDeps,
  input: Parsed<typeof importInput>,
  actor: Actor,
): Promise<{ view: ImportView; finished: Promise<void> }> {
  requireAdmin(actor);
  const prepared = await runParsed(prepareImport, deps, input, actor);
  const id = newId();
  const now = deps.clock.now();
  const [row] = await deps.db.transaction((tx) =>
    tx
      .insert(subscriberImports)
      .values({
        id,
        listId: prepared.listId,
        state: 'running',
        rowsTotal: prepared.rowsTotal,
        rowsDone: prepared.rejected.length,
        rejectedCount: prepared.rejected.length,
        rejected: prepared.rejected.slice(0, REJECTED_KEPT),
        actorLabel: actor.label,
        startedAt: now,
        updatedAt: now,
      })
      .returning(),
  );
  const live: LiveImport = { lastCommitAt: Date.now(), finished: Promise.resolve() };
  deps.imports.live.set(id, live);

  const end = async (state: 'failed' | 'interrupted', error: string) => {
    await deps.db
      .transaction((tx) =>
        tx
          .update(subscriberImports)
          .set({ state, error, updatedAt: deps.clock.now(), finishedAt: deps.clock.now() })
          .where(eq(subscriberImports.id, id)),
      )
      .catch((err) =>
        deps.imports.report(`import ${id}: could not record that it ${state}: ${String(err)}`),
      );
  };
  const run = async () => {
    let done = prepared.rejected.length;
    try {
      const report = await writeImport(deps, prepared, actor, {
        stopped: () => deps.imports.stopping,
        onRefused: () => deps.imports.pause(REFUSED_PAUSE_MS),
        inChunk: async (tx, p) => {
          const at = deps.clock.now();
          await tx
            .update(subscriberImports)
            .set({
              rowsDone: p.rowsDone,
              imported: p.imported,
              alreadySubscribed: p.alreadySubscribed,
              rejectedCount: p.rejectedCount,
              updatedAt: at,
              ...(p.last
                ? {
                    state: 'done' as const,
                    finishedAt: at,
                    rejected: p.rejected!.slice(0, REJECTED_KEPT),
                  }
                : {}),
            })
            .where(eq(subscriberImports.id, id));
        },
        afterChunk: (p) => {
          done = p.rowsDone;
          live.lastCommitAt = Date.now();
        },
      });
      if (!report)
        await end(
          'interrupted',
          `Herald was stopped during the import, after ${fmt(done)} of ${fmt(prepared.rowsTotal)} rows. Import the file again: the rows already imported count as already subscribed.`,
        );
    } catch (err) {
      deps.imports.report(`import ${id} failed: ${err instanceof Error ? err.stack : String(err)}`);
      await end(
        'failed',
        `The import stopped after ${fmt(done)} of ${fmt(prepared.rowsTotal)} rows: ${err instanceof Error ? err.message : String(err)}. The rows imported so far stay; import the file again to add the rest.`,
      );
    } finally {
      deps.imports.live.delete(id);
    }
  };
  live.finished = run();
  return { view: viewOf(deps, row!), finished: live.finished };
}

/** One import of a list, with its progress and, while it stalls, why. */
export async function readSubscriberImport(
  deps: ImportDeps,
  listId: string,
  importId: string,
): Promise<ImportView> {
  const [row] = await deps.db
    .select()
    .from(subscriberImports)
    .where(and(eq(subscriberImports.id, importId), eq(subscriberImports.listId, listId)));
  if (!row) throw new NotFoundError('import', importId);
  return viewOf(deps, row);
}

/** A list's most recent imports, newest first. */
export async function readSubscriberImports(
  deps: ImportDeps,
  listId: string,
  limit = 5,
): Promise<ImportView[]> {
  const [list] = await deps.db.select({ id: lists.id }).from(lists).where(eq(lists.id, listId));
  if (!list) throw new NotFoundError('list', listId);
  const rows = await deps.db
    .select()
    .from(subscriberImports)
    .where(eq(subscriberImports.listId, listId))
    .orderBy(desc(subscriberImports.startedAt))
    .limit(limit);
  return rows.map((r) => viewOf(deps, r));
}
