// A Herald process that declares a P0 on the database file given as argv[2] and is caught in the
// middle of its publish: right after the statement that writes the first slice of deliveries
// has run (the publish's transaction open, the broadcast, its total and first slice written, its
// fill cursor and the commit still to come), it prints "mid" and blocks its thread for good, so
// the parent can kill -9 it at exactly that point. The point is found in the SQLite driver
// (a third-party module), the one place that sees each statement as it runs: the publish itself
// no longer lets the event loop turn.
import { writeSync } from 'node:fs';
import Database from 'libsql';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';

const [dbUrl, title] = process.argv.slice(2);
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: Database.Database, source: string) {
  const statement = prepare.call(this, source);
  if (!/^\s*INSERT INTO deliveries\b/.test(source)) return statement;
  const run = statement.run.bind(statement) as (...args: unknown[]) => unknown;
  return Object.assign(statement, {
    run(...args: unknown[]) {
      const result = run(...args);
      writeSync(1, 'mid\n');
      // Blocks this thread without spinning: the publish never gets to its commit.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return result;
    },
  });
} as typeof prepare;
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'silent',
  }),
);
await declareIncident(
  deps,
  { title: title!, priority: 0, body: 'We are investigating.' },
  { type: 'cli', id: null, label: 'test', role: 'admin' },
);
writeSync(1, 'published\n');
await deps.close();
