// Import benchmark: `npx herald import statuspage` (the real command, a child process) against
// a local server answering as statuspage.io and api.statuspage.io do, for a page with
// N incidents (3 updates each) and M subscribers, into a fresh database.
//
//   node bench/import.ts [--incidents 500] [--subscribers 10000]
//
// Reports the command's wall time (target: under 60 s), a second run over the same database
// (which must change nothing), and, as a ceiling measured in the same run, the time to read the
// same source pages with no database at all (what the import costs on top of its reads).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveSource } from '../test/importers/source-server.ts';
import { statuspageRoutes, statuspageSource } from '../test/importers/statuspage-fixture.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const INCIDENTS = option('incidents', 500);
const SUBSCRIBERS = option('subscribers', 10_000);
const KEY = 'bench-key';

const src = statuspageSource({ incidents: INCIDENTS, subscribers: SUBSCRIBERS });
const server = await serveSource(statuspageRoutes(src, KEY));
const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-import-'));
const dbUrl = `file:${path.join(dir, 'herald.db')}`;
const bin = path.resolve('bin/herald.mjs');
const cliArgs = [
  'import',
  'statuspage',
  '--page-url',
  server.url,
  '--api-key',
  KEY,
  '--page-id',
  src.pageId,
  '--api-url',
  `${server.url}/v1`,
];

function run(): Promise<{ ms: number; out: string; code: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...cliArgs], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: dbUrl,
        PUBLIC_URL: 'https://status.example.com',
        LOG_LEVEL: 'silent',
        MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, out, code: code ?? 1 }));
  });
}

/** Every page the import reads, fetched and parsed, with nothing written. */
async function readOnly(): Promise<number> {
  const started = performance.now();
  const get = async (p: string) =>
    (await fetch(`${server.url}${p}`, { headers: { authorization: `OAuth ${KEY}` } })).json();
  await get('/api/v2/components.json');
  const base = `/v1/pages/${src.pageId}`;
  for (let page = 1; ; page++)
    if (((await get(`${base}/incidents?page=${page}&per_page=100`)) as unknown[]).length < 100)
      break;
  for (const state of ['active', 'unconfirmed', 'quarantined'])
    for (let page = 1; ; page++)
      if (
        ((await get(`${base}/subscribers?state=${state}&page=${page}&per_page=100`)) as unknown[])
          .length < 100
      )
        break;
  return performance.now() - started;
}

try {
  const ceiling = await readOnly();
  const first = await run();
  if (first.code !== 0) throw new Error(`import failed:\n${first.out}`);
  const second = await run();
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(first.out);
  console.log(
    `import: ${INCIDENTS} incidents (${INCIDENTS * 3} updates) and ${SUBSCRIBERS.toLocaleString('en-US')} subscribers in ${s(first.ms)} (target < 60 s: ${first.ms < 60_000 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `second run (changes nothing): ${s(second.ms)}; ${second.out.includes(`incidents: 0 new, ${INCIDENTS} already here`) ? 'nothing new' : 'CHANGED SOMETHING'}`,
  );
  console.log(
    `ceiling, reading the same source pages with no database: ${s(ceiling)} (import / ceiling = ${(first.ms / ceiling).toFixed(1)})`,
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
