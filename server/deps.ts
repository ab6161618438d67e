import {
  type DbHandle,
  explainStartWriteFailure,
  migrateDatabase,
  openDatabase,
} from '../db/client.ts';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './domain/shared/clock.ts';
import { DatabaseBusyError } from './domain/shared/database-busy.ts';
import type { DomainDeps } from './domain/shared/deps.ts';
import { SetupLink } from './domain/auth/setup-link.ts';
import { ensureSettings } from './domain/settings/get-settings.ts';
import { createChangeCounter } from './domain/settings/change-counter.ts';
import { ResponseCache } from './cache/response-cache.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMailer, type Mailer } from './mail/transport.ts';
import { ensureDefaultLists } from './domain/lists/ensure-default-lists.ts';
import { ensureFollowerManageLinks } from './domain/webhooks/follow-incident.ts';
import { createStatusReader, type StatusReader } from './domain/status/reader.ts';
import { createEdgePurger, type EdgePurger } from './edge/purger.ts';
import { ImportJobs } from './domain/subscribers/import-jobs.ts';

export interface Deps extends DomainDeps {
  handle: DbHandle;
  cache: ResponseCache;
  reader: StatusReader;
  log: Logger;
  /** The one pooled mail transport of the process (or the .eml writer without SMTP_URL). */
  mailer: Mailer;
  /** The one-time first-admin link (hash in memory only); see domain/auth/setup-link.ts. */
  setupLink: SetupLink;
  /** Purges caching edges (EDGE_PURGE_URLS) after writes; see server/edge/purger.ts. */
  edge: EdgePurger;
  /** The CSV imports this process runs in the background; see domain/subscribers/import-jobs.ts. */
  imports: ImportJobs;
  close(): Promise<void>;
}

/**
 * The composition root: opens and migrates the database, makes sure the settings row exists,
 * and builds the shared parts every route and loop receives. No module-level singletons.
 */
export async function createDeps(
  config: Config,
  opts: { clock?: Clock; log?: Logger; mailer?: Mailer } = {},
): Promise<Deps> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel);
  const handle = await openDatabase(config.databaseUrl, config.databaseAuthToken, {
    writeWaitMs: config.databaseWriteWaitMs,
    gaveUp: (fault, retryAfterSeconds) => new DatabaseBusyError(fault, retryAfterSeconds),
  });
  try {
    await migrateDatabase(handle.db);
    // In a transaction, so another process starting on the same file that holds the write lock
    // (its migrations, slow on a busy machine) is waited for as every write waits for it: alone,
    // each insert had only the driver's 250 ms and a start could die of SQLITE_BUSY.
    await handle.db.transaction(async (tx) => {
      await ensureSettings(
        tx,
        {
          pageName: config.pageName,
          publicUrl: config.publicUrlConfigured ? config.publicUrl : null,
        },
        clock.now(),
      );
      await ensureDefaultLists(tx, clock.now());
      await ensureFollowerManageLinks(tx, config, clock.now());
    });
  } catch (err) {
    // A file that opens but refuses writes (read-only for this user, a full disk) is said plainly.
    handle.close();
    throw explainStartWriteFailure(config.databaseUrl, err);
  }
  // Opened after migrations, so the settings table it reads exists.
  const counter = createChangeCounter(config.databaseUrl, handle.client);
  const mailer = opts.mailer ?? createMailer(config);
  const edge = createEdgePurger({ db: handle.db, clock, config, log });
  const deps: Deps = {
    edge,
    db: handle.db,
    handle,
    config,
    clock,
    log,
    mailer,
    setupLink: new SetupLink(),
    cache: new ResponseCache({ edges: new Set(config.edgePurgeTargets.map((t) => t.kind)) }),
    reader: createStatusReader(handle.db, config.publicUrl, counter),
    imports: new ImportJobs((message) => log.error(message)),
    async close() {
      // A running import writes its last chunk and marks itself interrupted before the close.
      await deps.imports.stop();
      counter.close();
      mailer.close();
      handle.close();
    },
  };
  return deps;
}
