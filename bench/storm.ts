// The P0 moment: a broadcast while a refresh storm hits the status page, from one whole Herald
// server as `npm start` runs it (pages in its main process, sending in its delivery process).
//
//   node bench/storm.ts [--sizes 20000,100000] [--connections 64] [--page-seconds 8]
//
// For each size, in the same run and against the same server: the page's rate and p99 alone
// (autocannon, 64 connections alternating / and /api/v2/summary.json), the broadcast's rate
// alone, then a second P0 of the same size while the same storm runs until the broadcast ends.
// Each rate is over the time that side was actually working (the broadcast from its first to its
// last message). Targets: each side keeps at least 0.6 of its rate alone; page p99 during the
// broadcast under 50 ms; 0 lost, 0 doubled (counted by the SMTP sink, in its own process).
//
// Each phase also reports how much of a core every process used (Herald's server and delivery
// process, the SMTP sink, and this process with autocannon: they all share this machine's
// cores), and what one more reader waited, asking from a process of its own
// (bench/visitor-probe.ts): autocannon's p99 is of its own requests, paced by its own event loop.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import { childPids, coresUsed } from './proc-stat.ts';
import { startSink } from './sink-process.ts';
import type { WholeServer } from './whole-server.ts';

const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
const { sql } = await import('drizzle-orm');
const { loadConfig } = await import('../server/config.ts');
const { createDeps } = await import('../server/deps.ts');
const { benchAdminToken, startWholeServer } = await import('./whole-server.ts');

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const sizes = (option('sizes') ?? '20000,100000').split(',').map(Number);
const stormConnections = Number(option('connections') ?? 64);
const pageSeconds = Number(option('page-seconds') ?? 8);

interface AutocannonResult {
  requests: { total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
/** A storm that runs until stopped; autocannon's instance is also the promise of its result. */
function storm(base: string): Promise<AutocannonResult> & { stop(): void } {
  return autocannon({
    url: base,
    connections: stormConnections,
    duration: 3600,
    pipelining: 1,
    requests: [{ path: '/' }, { path: '/api/v2/summary.json' }],
  });
}

interface VisitorLatency {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}
/** One reader asking for `/` every 10 ms in a process of its own (bench/visitor-probe.ts). */
async function startVisitor(base: string) {
  const child = fork(path.join(import.meta.dirname, 'visitor-probe.ts'), [`${base}/`], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = (type: string) =>
    new Promise<unknown>((resolve) =>
      child.on('message', (m: { type: string }) => m.type === type && resolve(m)),
    );
  await message('ready');
  return {
    async stop(): Promise<VisitorLatency> {
      const latency = message('latency');
      child.send({ type: 'stop' });
      const { type: _, ...measured } = (await latency) as VisitorLatency & { type: string };
      return measured;
    },
  };
}

/** The storm alone for `pageSeconds`: its rate and p99, the cores used, one reader's waits. */
async function pageAlone<K extends string>(base: string, pids: Record<K, number>) {
  const visitor = await startVisitor(base);
  const started = performance.now();
  const run = storm(base);
  const { cores } = await coresUsed(pids, () => sleep(pageSeconds * 1000));
  const seconds = (performance.now() - started) / 1000;
  run.stop();
  const r = await run;
  return {
    rps: r.requests.total / seconds,
    p99: r.latency.p99,
    cores,
    visitor: await visitor.stop(),
  };
}

async function runSize(N: number) {
  const sink = await startSink(N);
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-storm-'));
  const env = {
    DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
    PUBLIC_URL: 'https://status.example.com',
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  };
  const seeded = await createDeps(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  await seeded.db.run(sql`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
    INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
    SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), 'reader' || i || '@example.net', 'confirmed', NULL,
           lower(hex(randomblob(32))), 'bench', 0, 0, 0
    FROM n`);
  const secret = await benchAdminToken(seeded);
  await seeded.close();
  let server: WholeServer | undefined;
  const declare = async (title: string) => {
    const r = await fetch(`${server!.base}/api/admin/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, priority: 0, body: 'We are investigating errors.' }),
    });
    if (r.status !== 201) throw new Error(`declare answered ${r.status}`);
  };
  /** One P0 to all N: its rate over first to last message, what was lost and doubled. */
  const broadcast = async (title: string) => {
    await sink.reset();
    await declare(title);
    const first = await sink.waitFor('first');
    const done = await sink.waitFor('done');
    const s = await sink.stats();
    return {
      rate: Math.round((N - 1) / ((done.at - first.at) / 1000)),
      lost: N - s.unique,
      doubled: s.count - s.unique,
    };
  };
  try {
    server = await startWholeServer(env, 'error');
    const base = server.base;
    const serverPid = server.child.pid!;
    const [deliveryPid] = childPids(serverPid);
    if (!deliveryPid) throw new Error('the server started no delivery process');
    // autocannon runs in this process.
    const pids = {
      server: serverPid,
      delivery: deliveryPid,
      sink: sink.pid,
      autocannon: process.pid,
    };
    await pageAlone(base, pids); // warm the page caches and the compile cache
    const page = await pageAlone(base, pids);
    const { result: mail, cores: mailCores } = await coresUsed(pids, () =>
      broadcast('Website is down'),
    );
    // The same again with the storm, from the publish to the last message.
    const visitor = await startVisitor(base);
    const stormStart = Date.now();
    const run = storm(base);
    const { result: mailStorm, cores: stormCores } = await coresUsed(pids, () =>
      broadcast('Website is down again'),
    );
    const stormSeconds = (Date.now() - stormStart) / 1000;
    run.stop();
    const pageStorm = await run;
    const visitorStorm = await visitor.stop();
    const stormRps = pageStorm.requests.total / stormSeconds;
    return {
      subscribers: N,
      broadcastAlone: mail.rate,
      broadcastDuringStorm: mailStorm.rate,
      broadcastRatio: +(mailStorm.rate / mail.rate).toFixed(2),
      pageAloneRps: Math.round(page.rps),
      pageDuringBroadcastRps: Math.round(stormRps),
      pageRatio: +(stormRps / page.rps).toFixed(2),
      pageP99AloneMs: page.p99,
      pageP99DuringBroadcastMs: pageStorm.latency.p99,
      pageErrors: pageStorm.errors + pageStorm.non2xx,
      visitorAlone: page.visitor,
      visitorDuringBroadcast: visitorStorm,
      lost: mail.lost + mailStorm.lost,
      doubled: mail.doubled + mailStorm.doubled,
      coresUsed: { pageAlone: page.cores, broadcastAlone: mailCores, storm: stormCores },
    };
  } finally {
    await server?.stop();
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `Herald storm bench: P0 broadcast while autocannon storms / and /api/v2/summary.json with ${stormConnections} connections, Node ${process.version}`,
);
for (const N of sizes) {
  const r = await runSize(N);
  console.log(JSON.stringify(r));
  console.log(
    `${N} recipients: broadcast ${r.broadcastDuringStorm}/s during the storm vs ${r.broadcastAlone}/s alone (${r.broadcastRatio}, target >= 0.6); page ${r.pageDuringBroadcastRps} req/s during the broadcast vs ${r.pageAloneRps} alone (${r.pageRatio}, target >= 0.6), p99 ${r.pageP99DuringBroadcastMs} ms (target < 50); lost ${r.lost}, doubled ${r.doubled}`,
  );
  console.log(
    `  one more reader (a request every 10 ms, its own process): p50 ${r.visitorDuringBroadcast.p50} ms, p99 ${r.visitorDuringBroadcast.p99} ms, max ${r.visitorDuringBroadcast.max} ms during the broadcast (alone: p99 ${r.visitorAlone.p99} ms, max ${r.visitorAlone.max} ms)`,
  );
  const c = r.coresUsed;
  const row = (k: keyof typeof c) =>
    `${c[k].server}/${c[k].delivery}/${c[k].sink}/${c[k].autocannon}`;
  // Each side's work scales with its rate: what both at 0.6 of their rates alone would use.
  const p = c.pageAlone;
  const b = c.broadcastAlone;
  const needed = 0.6 * (p.server + p.autocannon + b.delivery + b.sink);
  console.log(
    `  cores used (Herald server/delivery process/SMTP sink/autocannon): page alone ${row('pageAlone')}; broadcast alone ${row('broadcastAlone')}; both ${row('storm')}. Both sides at 0.6 of their rates alone would use ${needed.toFixed(2)} cores; this machine has ${availableParallelism()}`,
  );
}
process.exit(0);
