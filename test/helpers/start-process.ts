// A Herald start-up in its own process (config, open, migrate, settings, default lists: what
// server/main.ts does before it listens), held behind a barrier: it waits until the file
// argv[3] exists, so several processes start on a new database at the same moment. It says
// "waiting 1" once loaded, so the parent knows when all of them are at the barrier, and "up 1"
// once started. Further pairs of database and barrier (argv[4], argv[5], ...) are started after
// the first is closed, each behind its own barrier ("waiting 2", "up 2", ...): one process loads
// Herald once for several rounds of a race. Start-up keeps nothing between two calls (no
// module-level state in createDeps, opening or migrating), so each round starts as a new
// process would.
import { existsSync } from 'node:fs';
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';

const args = process.argv.slice(2);
for (let i = 0; i < args.length / 2; i++) {
  const [dbUrl, barrier] = [args[2 * i], args[2 * i + 1]];
  // Loaded: the parent opens the barrier once every process has said so.
  process.stdout.write(`waiting ${i + 1}\n`);
  while (!existsSync(barrier!)) await new Promise((r) => setTimeout(r, 2));
  const deps = await createDeps(
    loadConfig({
      DATABASE_URL: dbUrl,
      PUBLIC_URL: 'https://status.example.com',
      LOG_LEVEL: 'silent',
    }),
  );
  process.stdout.write(`up ${i + 1}\n`);
  await deps.close();
}
