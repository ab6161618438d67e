// Seeds N confirmed subscribers on the customers list of a migrated Herald database, for the
// broadcast benchmarks. Its own process, so what seeding a million rows leaves in memory (the
// driver's and the allocator's) is never counted in the Herald process the benchmark measures.
// In SQL, in transactions of 100,000, with a progress line each on stderr.
//
//   node bench/seed-subscribers.ts DATABASE_URL N
import { createClient } from '@libsql/client';

const [url, count] = process.argv.slice(2);
const N = Number(count);
if (!url || !Number.isInteger(N) || N < 0) {
  console.error('usage: node bench/seed-subscribers.ts DATABASE_URL N');
  process.exit(2);
}
const client = createClient({ url });
await client.execute('PRAGMA busy_timeout = 5000');
const chunk = 100_000;
const started = performance.now();
for (let from = 1; from <= N; from += chunk) {
  const to = Math.min(N, from + chunk - 1);
  await client.batch(
    [
      {
        sql: `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
              INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
              SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net', 'confirmed', NULL,
                     lower(hex(randomblob(32))), 'bench', 0, 0, 0
              FROM n`,
        args: [from, to],
      },
    ],
    'write',
  );
  if (N > chunk)
    console.error(
      `seeding: ${to.toLocaleString('en')} of ${N.toLocaleString('en')} subscribers (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
}
client.close();
