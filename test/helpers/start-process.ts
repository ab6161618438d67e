// A Herald start-up in its own process (config, open, migrate, settings, default lists: what
// server/main.ts does before it listens), held behind a barrier: it waits until the file
// argv[3] exists, so several processes start on a new database at the same moment. It says
// "waiting" once loaded, so the parent knows when all of them are at the barrier.
import { existsSync } from 'node:fs';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';

const [dbUrl, barrier] = process.argv.slice(2);
// Loaded: the parent opens the barrier once every process has said so.
process.stdout.write('waiting\n');
while (!existsSync(barrier!)) await new Promise((r) => setTimeout(r, 2));
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    LOG_LEVEL: 'silent',
  }),
);
process.stdout.write('up\n');
await deps.close();
