// A Herald process that declares a P0 on the database file given as argv[2] and is caught in the
// middle of writing its deliveries: after the event loop has turned twice between slices (the
// publish's transaction open, some slices written), it prints "mid" and blocks its thread for
// good, so the parent can kill -9 it at exactly that point.
import { writeSync } from 'node:fs';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';

const [dbUrl, title] = process.argv.slice(2);
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'silent',
  }),
);
let turns = 0;
const tick = () => {
  turns += 1;
  if (turns < 2) return setImmediate(tick);
  writeSync(1, 'mid\n');
  // Blocks this thread without spinning: the publish never gets another turn.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};
setImmediate(tick);
await declareIncident(
  deps,
  { title: title!, priority: 0, body: 'We are investigating.' },
  { type: 'cli', id: null, label: 'test', role: 'admin' },
);
writeSync(1, 'published\n');
await deps.close();
