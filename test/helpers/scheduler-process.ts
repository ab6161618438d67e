// A separate Herald process for tests: opens the database file given as argv[2], prints
// "ready", waits for a line on stdin, runs one scheduler pass at the time given as argv[3]
// (repeated argv[4] times) and prints the reports.
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { ManualClock } from '../../server/domain/shared/clock.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';

const [dbUrl, at, passes = '1'] = process.argv.slice(2);
const config = loadConfig({
  DATABASE_URL: dbUrl,
  PUBLIC_URL: 'https://status.example.com',
  PAGE_NAME: 'Acme',
  LOG_LEVEL: 'silent',
});
const deps = await createDeps(config, { clock: new ManualClock(at) });
const scheduler = createScheduler(deps);
// A barrier: say "ready" and wait for the parent's go, so several processes start their pass
// together.
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  process.stdin.once('data', () => resolve());
  process.stdin.once('end', () => resolve());
});
process.stdin.pause();
const merged = {
  published: [] as unknown[],
  reminders: [] as unknown[],
  holding: [] as unknown[],
  maintenance: [] as unknown[],
  errors: [] as unknown[],
};
for (let i = 0; i < Number(passes); i++) {
  const r = (await scheduler.runOnce()) as unknown as Record<keyof typeof merged, unknown[]>;
  for (const k of Object.keys(merged) as (keyof typeof merged)[]) merged[k].push(...(r[k] ?? []));
}
await deps.close();
process.stdout.write(JSON.stringify(merged));
