// Broadcast benchmark: N confirmed subscribers, one P0 update, delivered through Herald's real
// pooled SMTP transport and outbox worker to a local SMTP sink in a separate process.
//
//   node bench/broadcast.ts [--subscribers 100000]
//
// Reports time to first message (from the publish call), messages per second, total time and
// the peak RSS of this process, which runs Herald (database, publishing, worker, transport),
// and, measured in the same run, a raw nodemailer pool sending pre-built messages over the
// same connections (bench/raw-pool.ts): Herald's ratio to that ceiling. Targets: ratio >= 0.80,
// first message < 1 s, peak RSS < 150 MB at 100,000 recipients.
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Herald runs as `npm start` runs it: with its V8 flag (a capped young generation keeps the RSS
// of a long broadcast low) and Node's compile cache, warm as after any earlier start (a first
// process fills it). This first process re-runs the benchmark so; it loads none of Herald's
// modules itself, which are imported dynamically below.
const HERALD_NODE_FLAGS = ['--max-semi-space-size=16'];
const WARM = '--warm-compile-cache';
if (!HERALD_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const { COMPILE_CACHE_DIR } = await import('../server/boot/compile-cache.ts');
  const env = {
    ...process.env,
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR,
  };
  const again = [...process.execArgv, ...HERALD_NODE_FLAGS, ...process.argv.slice(1)];
  spawnSync(process.execPath, [...again, WARM], { stdio: 'inherit', env });
  const r = spawnSync(process.execPath, again, { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}
// As in server/main.ts: the module hooks before anything imports drizzle-orm.
const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
const { sql } = await import('drizzle-orm');
const { loadConfig } = await import('../server/config.ts');
const { createDeps } = await import('../server/deps.ts');
const { declareIncident } = await import('../server/domain/incidents/declare-incident.ts');
const { createOutboxWorker } = await import('../server/jobs/outbox-worker.ts');
const { linkKey } = await import('../server/domain/subscribers/tokens.ts');
if (process.argv.includes(WARM)) process.exit(0);

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const N = flag('subscribers', 10_000);
// Default: SMTP_MAX_CONNECTIONS's own default.
const connections = flag('connections', 5);

type SinkMessage =
  | { type: 'ready'; port: number }
  | { type: 'first'; at: number }
  | { type: 'done'; at: number; count: number }
  | { type: 'count'; count: number };

async function main() {
  const sink = fork(fileURLToPath(new URL('./smtp-sink.ts', import.meta.url)), [String(N)], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: SinkMessage[] = [];
  const waiters: ((m: SinkMessage) => void)[] = [];
  sink.on('message', (m: SinkMessage) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w(m);
  });
  const waitFor = async <T extends SinkMessage['type']>(
    type: T,
  ): Promise<Extract<SinkMessage, { type: T }>> => {
    for (;;) {
      const found = messages.find((m) => m.type === type);
      if (found) return found as Extract<SinkMessage, { type: T }>;
      await new Promise<SinkMessage>((r) => waiters.push(r));
    }
  };
  const { port } = await waitFor('ready');

  // The ceiling first, in its own process and against its own sink, so neither its memory nor
  // its sink's count mixes with Herald's.
  const ceilingSink = fork(fileURLToPath(new URL('./smtp-sink.ts', import.meta.url)), [String(N)], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ceilingPort = await new Promise<number>((resolve) =>
    ceilingSink.on('message', (m: SinkMessage) => m.type === 'ready' && resolve(m.port)),
  );
  const raw = spawnSync(
    process.execPath,
    [
      fileURLToPath(new URL('./raw-pool.ts', import.meta.url)),
      String(ceilingPort),
      String(N),
      String(connections),
    ],
    { encoding: 'utf8' },
  );
  ceilingSink.send({ type: 'stop' });
  if (raw.status !== 0) throw new Error(`raw pool ceiling failed: ${raw.stderr}`);
  const ceiling = JSON.parse(raw.stdout.trim().split('\n').pop()!) as {
    messagesPerSecond: number;
    cpuMsPerMessage: number;
    peakRssMb: number;
  };

  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const config = loadConfig({
    DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
    PUBLIC_URL: 'https://status.example.com',
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_MAX_CONNECTIONS: String(connections),
    LOG_LEVEL: 'error',
  });
  const deps = await createDeps(config);
  await linkKey(deps.db, config);

  // Seed in SQL so the benchmark's own setup does not inflate the process's memory.
  const seedStart = performance.now();
  await deps.db.run(sql`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
    INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
    SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net', 'confirmed', NULL,
           lower(hex(randomblob(32))), 'bench', 0, 0, 0
    FROM n`);
  const seedMs = performance.now() - seedStart;

  // Herald loaded, the database open and seeded, nothing published yet.
  const rssBeforePublish = process.memoryUsage.rss();
  let peakRss = rssBeforePublish;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const worker = createOutboxWorker(deps);
  worker.start();

  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await declareIncident(
    deps,
    {
      title: 'Website is down',
      priority: 0,
      body: 'We are investigating errors on the website.',
      internalNote: 'Bench note',
    },
    { type: 'cli', id: null, label: 'bench', role: 'admin' },
  );
  const publishMs = Date.now() - t0;
  const first = await waitFor('first');
  const done = await waitFor('done');
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  await worker.stop();

  const totalMs = done.at - t0;
  const sendMs = done.at - first.at;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  const report = {
    subscribers: N,
    smtpConnections: connections,
    seedMs: Math.round(seedMs),
    publishMs,
    // From the publish call (the update, the broadcast and every delivery row in one
    // transaction), and from the moment that transaction returned.
    timeToFirstMessageMs: first.at - t0,
    firstMessageAfterCommitMs: first.at - t0 - publishMs,
    messagesPerSecond: Math.round((done.count / Math.max(1, totalMs)) * 1000),
    messagesPerSecondAfterFirst: Math.round(((done.count - 1) / Math.max(1, sendMs)) * 1000),
    totalMs,
    rssBeforePublish: mb(rssBeforePublish),
    peakRss: mb(peakRss),
    rawPoolMessagesPerSecond: ceiling.messagesPerSecond,
    ratioToRawPool: Number(
      (Math.round((done.count / Math.max(1, totalMs)) * 1000) / ceiling.messagesPerSecond).toFixed(
        2,
      ),
    ),
    heraldCpuMsPerMessage: Number(((cpu.user + cpu.system) / 1000 / N).toFixed(3)),
    // CPU time is what the two spend per message whatever else the machine runs.
    rawPoolCpuMsPerMessage: ceiling.cpuMsPerMessage,
    // The ceiling's own process: nodemailer and one pre-built message, nothing else.
    rawPoolPeakRss: `${ceiling.peakRssMb} MB`,
    loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
  };
  console.log(JSON.stringify(report, null, 2));
  const ok =
    report.timeToFirstMessageMs < 1000 &&
    report.ratioToRawPool >= 0.8 &&
    peakRss < 150 * 1024 * 1024;
  console.log(
    `broadcast: ${N} messages in ${(totalMs / 1000).toFixed(1)} s, ${report.messagesPerSecond} msg/s = ${report.ratioToRawPool} of a raw nodemailer pool (${ceiling.messagesPerSecond} msg/s), first after ${report.timeToFirstMessageMs} ms, peak RSS ${report.peakRss} ${ok ? '(meets targets)' : '(MISSES a target: >= 0.80 of the raw pool, first < 1 s, RSS < 150 MB)'}`,
  );
  sink.send({ type: 'stop' });
  await deps.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
