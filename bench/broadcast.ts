// Broadcast benchmark: N confirmed subscribers, one P0 update, delivered as the server delivers
// it (the delivery process, started as server/start.ts starts it, with Herald's real pooled SMTP
// transport) to a local SMTP sink in a separate process.
//
//   node bench/broadcast.ts [--subscribers 100000] [--cpu-prof DIR] [--trace-gc]
//                           [--delivery-flag FLAG ...] [--herald-only]
//
// Reports time to first message (from the publish call), messages per second, total time, and
// for the delivery process (it claims, renders, sends and records; this process only publishes,
// as the server's main process does): its CPU per message (/proc/PID/stat) and peak RSS (Linux's
// high-water mark, VmHWM, however short the peak). Also two ceilings measured in the same run
// over the same connections, each sending one pre-built message with no database
// (bench/raw-pool.ts; at most 200,000 messages): a raw nodemailer pool (how nodemailer is usually
// pooled) and Herald's own SMTP pool (server/mail/smtp-pool.ts: what the outbox costs on top of
// its transport; target >= 0.70 of it), the latter once before Herald sends and once after, since
// the machine's load moves in between; the ratio is also given by CPU per message. Other
// targets: first message < 1 s, peak RSS < 150 MB at 100,000 recipients and flat in N. Up to
// 100,000 recipients a whole `npm start` server sends the same broadcast too, with the RSS of its
// two processes reported apart.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, statusBytes, switches } from './proc-stat.ts';
import { startSink } from './sink-process.ts';
import type { WholeServer } from './whole-server.ts';

// Herald runs as `npm start` runs it: with its V8 flags and environment
// (server/boot/process-options.ts) and Node's compile cache, warm as after any earlier start (a
// first process fills it). This first process re-runs the benchmark so; it loads none of
// Herald's modules itself, which are imported dynamically below.
const { NODE_ENV, SERVER_FLAGS } = await import('../server/boot/process-options.ts');
const WARM = '--warm-compile-cache';
if (
  !SERVER_FLAGS.every((f) => process.execArgv.includes(f)) ||
  Object.entries(NODE_ENV).some(([k, v]) => process.env[k] !== v)
) {
  const { COMPILE_CACHE_DIR } = await import('../server/boot/compile-cache.ts');
  const env = {
    ...process.env,
    ...NODE_ENV,
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR,
  };
  const again = [...process.execArgv, ...SERVER_FLAGS, ...process.argv.slice(1)];
  spawnSync(process.execPath, [...again, WARM], { stdio: 'inherit', env });
  const r = spawnSync(process.execPath, again, { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}
// As in server/main.ts: the module hooks before anything imports drizzle-orm.
const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
const { loadConfig } = await import('../server/config.ts');
const { createDeps } = await import('../server/deps.ts');
const { declareIncident } = await import('../server/domain/incidents/declare-incident.ts');
const { startDeliveryProcess } = await import('../server/delivery/start-process.ts');
const { onCommit } = await import('../db/client.ts');
const { linkKey } = await import('../server/domain/subscribers/tokens.ts');
const { benchAdminToken, startWholeServer } = await import('./whole-server.ts');
if (process.argv.includes(WARM)) {
  // The delivery process's own modules (its entry among them) are compiled in it, not here:
  // started and stopped once, as any earlier start of the server would have. With its entry
  // not in the cache, Node loads its type stripper too: 156 MB at the peak of a first run from
  // a fresh clone, 137 after.
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-warm-'));
  const env = { DATABASE_URL: `file:${path.join(dir, 'herald.db')}`, LOG_LEVEL: 'error' };
  const deps = await createDeps(loadConfig(env));
  const delivery = startDeliveryProcess(deps.log, { ...process.env, ...env });
  await delivery.started;
  await delivery.stop();
  await deps.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const flag = (name: string, fallback: number) => Number(option(name) ?? fallback);
const N = flag('subscribers', 10_000);
// Default: SMTP_MAX_CONNECTIONS's own default.
const connections = flag('connections', 5);
// Node flags for the delivery process only, all off by default: `--cpu-prof DIR` (it writes a V8
// CPU profile there when it stops), `--trace-gc` (a line per collection), and any other as
// `--delivery-flag FLAG`, repeatable (e.g. `--perf-basic-prof` for Linux perf's JIT symbols).
const profileDir = option('cpu-prof');
// Herald's side alone: no ceilings and no whole server, so two versions can be compared in
// alternating runs a minute apart (by rate and CPU per message, not against a ceiling).
const heraldOnly = args.includes('--herald-only');
const profileFlags = [
  ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : []),
  ...(args.includes('--trace-gc') ? ['--trace-gc'] : []),
  ...args.flatMap((a, i) => (a === '--delivery-flag' && args[i + 1] ? [args[i + 1]!] : [])),
];

/** N confirmed subscribers on the customers list, seeded by bench/seed-subscribers.ts. */
function seedSubscribers(databaseUrl: string) {
  const r = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('./seed-subscribers.ts', import.meta.url)), databaseUrl, String(N)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`seeding failed (exit ${r.status})`);
}

/**
 * The same broadcast from a whole `npm start` process (web pages, HTTP server, every job), started
 * with the same options and published through the admin API: its RSS when idle and its peak
 * (Linux's VmHWM). Returns null where that cannot be read or the site is not built.
 */
async function wholeServer(): Promise<{
  idle: number;
  peak: number;
  deliveryIdle: number;
  deliveryPeak: number;
  messagesPerSecond: number;
} | null> {
  const { siteDist } = await import('../server/web/mount-site.ts');
  if (!existsSync(path.join(siteDist, 'server', 'entry.mjs')) || !existsSync('/proc/self/status'))
    return null;
  const sink = await startSink(N);
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const env = {
    DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
    PUBLIC_URL: 'https://status.example.com',
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SMTP_MAX_CONNECTIONS: String(connections),
  };
  const seeded = await createDeps(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  seedSubscribers(env.DATABASE_URL);
  const secret = await benchAdminToken(seeded);
  await seeded.close();
  const pidOf = (out: string) => Number(/delivery process runs \(pid (\d+)\)/.exec(out)?.[1] ?? 0);
  let server: WholeServer | undefined;
  try {
    server = await startWholeServer(env, 'info', (out) => pidOf(out) > 0);
    const { child } = server;
    const deliveryPid = pidOf(server.output());
    // Settled after the start, as a server is before an incident.
    await new Promise((r) => setTimeout(r, 2000));
    const idle = statusBytes(child.pid!, 'VmRSS');
    const deliveryIdle = statusBytes(deliveryPid, 'VmRSS');
    const t0 = Date.now();
    const declared = await fetch(`${server.base}/api/admin/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Website is down',
        priority: 0,
        body: 'We are investigating errors on the website.',
      }),
    });
    if (declared.status !== 201) throw new Error(`declare answered ${declared.status}`);
    const done = await sink.waitFor('done');
    const peak = statusBytes(child.pid!, 'VmHWM');
    const deliveryPeak = statusBytes(deliveryPid, 'VmHWM');
    return {
      idle,
      peak,
      deliveryIdle,
      deliveryPeak,
      messagesPerSecond: Math.round((done.count / (done.at - t0)) * 1000),
    };
  } finally {
    await server?.stop();
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Herald's side: a fresh database seeded with N subscribers, the delivery process started as the
 * server starts it, one P0 published from this process, and the sink's count awaited.
 */
async function heraldSends(
  port: number,
  waitFor: Awaited<ReturnType<typeof startSink>>['waitFor'],
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
  const env = {
    DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
    PUBLIC_URL: 'https://status.example.com',
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_MAX_CONNECTIONS: String(connections),
    LOG_LEVEL: 'error',
  };
  const config = loadConfig(env);
  const deps = await createDeps(config);
  await linkKey(deps.db, config);

  // Seeded by another process, so the benchmark's own setup does not inflate this one's memory.
  const seedStart = performance.now();
  seedSubscribers(config.databaseUrl);
  const seedMs = performance.now() - seedStart;

  // Sending as the server sends: the delivery process, started as server/start.ts starts it.
  const delivery = startDeliveryProcess(deps.log, { ...process.env, ...env }, profileFlags);
  // As server/start.ts: the publish's commit tells the delivery process at once.
  onCommit(deps.db, delivery.due);
  await delivery.started;
  const pid = delivery.pid()!;
  // Herald loaded in the delivery process, the database open and seeded, nothing published yet.
  const rssBeforePublish = statusBytes(pid, 'VmRSS');
  const cpu0 = cpuMs(pid);
  const switches0 = switches(pid);
  const publishCpu0 = process.cpuUsage();
  // The longest the publish held this process's event loop (where a server answers its pages):
  // the widest gap between ticks of a 1 ms timer while it ran.
  let lastTick = performance.now();
  let publishStallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    publishStallMs = Math.max(publishStallMs, now - lastTick);
    lastTick = now;
  }, 1);
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
  const publishCpu = process.cpuUsage(publishCpu0);
  await new Promise((resolve) => setImmediate(resolve));
  clearInterval(ticker);
  publishStallMs = Math.max(publishStallMs, performance.now() - lastTick);
  const first = await waitFor('first');
  const done = await waitFor('done');
  const cpu = cpuMs(pid) - cpu0;
  const switches1 = switches(pid);
  const peakRss = statusBytes(pid, 'VmHWM');
  await delivery.stop();
  await deps.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    seedMs,
    rssBeforePublish,
    publishMs,
    publishStallMs,
    publishCpu,
    t0,
    first,
    done,
    cpu,
    switches0,
    switches1,
    peakRss,
  };
}

async function main() {
  const sink = await startSink(N);
  const { port, waitFor } = sink;

  // The ceilings first, each in its own process and against its own sink, so neither their
  // memory nor their sinks' counts mix with Herald's.
  // A rate needs no million messages: at most 200,000 each, so a 1,000,000 run stays minutes.
  const ceilingCount = Math.min(N, 200_000);
  async function ceiling(transport: 'nodemailer-pool' | 'herald-pool') {
    const ceilingSink = await startSink(ceilingCount);
    const raw = spawnSync(
      process.execPath,
      [
        fileURLToPath(new URL('./raw-pool.ts', import.meta.url)),
        String(ceilingSink.port),
        String(ceilingCount),
        String(connections),
        transport,
      ],
      { encoding: 'utf8' },
    );
    ceilingSink.stop();
    if (raw.status !== 0) throw new Error(`${transport} ceiling failed: ${raw.stderr}`);
    return JSON.parse(raw.stdout.trim().split('\n').pop()!) as {
      messagesPerSecond: number;
      cpuMsPerMessage: number;
      peakRssMb: number;
      messageBytes: number;
      switchesPerMessage: { voluntary: number; involuntary: number } | null;
    };
  }
  if (heraldOnly) {
    const h = await heraldSends(port, waitFor);
    const ms = h.done.at - h.t0;
    console.log(
      `broadcast (Herald's side only): ${N} messages in ${(ms / 1000).toFixed(1)} s, ${Math.round((h.done.count / Math.max(1, ms)) * 1000)} msg/s, CPU ${(h.cpu / N).toFixed(3)} ms/message, first after ${h.first.at - h.t0} ms (the publish ${h.publishMs} ms, holding its event loop at most ${Math.round(h.publishStallMs)} ms), delivery process peak RSS ${(h.peakRss / 1024 / 1024).toFixed(0)} MB`,
    );
    sink.stop();
    return;
  }
  const rawPool = await ceiling('nodemailer-pool');
  const samePoolBefore = await ceiling('herald-pool');

  const h = await heraldSends(port, waitFor);
  // Its own pool again, right after: the machine's load drifts while Herald sends, so the
  // ceiling is the mean of one run before and one after (each reported).
  const samePoolAfter = await ceiling('herald-pool');
  const samePool = {
    messagesPerSecond: Math.round(
      (samePoolBefore.messagesPerSecond + samePoolAfter.messagesPerSecond) / 2,
    ),
    cpuMsPerMessage: Number(
      ((samePoolBefore.cpuMsPerMessage + samePoolAfter.cpuMsPerMessage) / 2).toFixed(3),
    ),
    peakRssMb: Math.max(samePoolBefore.peakRssMb, samePoolAfter.peakRssMb),
    messageBytes: samePoolBefore.messageBytes,
    switchesPerMessage: samePoolBefore.switchesPerMessage,
  };

  const totalMs = h.done.at - h.t0;
  const messagesPerSecond = Math.round((h.done.count / Math.max(1, totalMs)) * 1000);
  const sendMs = h.done.at - h.first.at;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  const heraldCpuMsPerMessage = Number((h.cpu / N).toFixed(3));
  const report = {
    subscribers: N,
    smtpConnections: connections,
    seedMs: Math.round(h.seedMs),
    publishMs: h.publishMs,
    publishLongestStallMs: Math.round(h.publishStallMs),
    // From the publish call (the update, the broadcast and its delivery rows, or for more than
    // 5,000 recipients their count and the first 5,000, in one transaction: the delivery
    // process writes the rest), and from the moment that transaction returned.
    timeToFirstMessageMs: h.first.at - h.t0,
    firstMessageAfterCommitMs: h.first.at - h.t0 - h.publishMs,
    messagesPerSecond,
    messagesPerSecondAfterFirst: Math.round(((h.done.count - 1) / Math.max(1, sendMs)) * 1000),
    totalMs,
    // The delivery process's.
    rssBeforePublish: mb(h.rssBeforePublish),
    peakRss: mb(h.peakRss),
    // This process's publish (the update and what it writes of the deliveries, as above).
    publishCpuMs: Math.round((h.publishCpu.user + h.publishCpu.system) / 1000),
    rawPoolMessagesPerSecond: rawPool.messagesPerSecond,
    ratioToRawPool: Number((messagesPerSecond / rawPool.messagesPerSecond).toFixed(2)),
    // The same SMTP pool as Herald's with pre-built messages: what the outbox itself costs.
    samePoolMessagesPerSecond: samePool.messagesPerSecond,
    samePoolBeforeAndAfter: [samePoolBefore.messagesPerSecond, samePoolAfter.messagesPerSecond],
    ratioToSamePool: Number((messagesPerSecond / samePool.messagesPerSecond).toFixed(2)),
    // The same by CPU per message: what the rate ratio comes to when both get the same share of a
    // busy machine, and steadier than rates measured a minute apart while its load moves.
    cpuRatioToSamePool: Number((samePool.cpuMsPerMessage / heraldCpuMsPerMessage).toFixed(2)),
    // CPU time is what each spends per message whatever else the machine runs.
    heraldCpuMsPerMessage,
    rawPoolCpuMsPerMessage: rawPool.cpuMsPerMessage,
    samePoolCpuMsPerMessage: samePool.cpuMsPerMessage,
    // How often each process's main thread slept (voluntary: waiting for the sink, a timer or the
    // disk) or was pre-empted, per message: each switch costs both sides a wake-up.
    heraldSwitchesPerMessage: {
      voluntary: Number(((h.switches1.voluntary - h.switches0.voluntary) / N).toFixed(2)),
      involuntary: Number(((h.switches1.involuntary - h.switches0.involuntary) / N).toFixed(2)),
    },
    samePoolSwitchesPerMessage: samePool.switchesPerMessage,
    // The ceilings' own processes: the transport and one pre-built message, nothing else.
    rawPoolPeakRss: `${rawPool.peakRssMb} MB`,
    samePoolPeakRss: `${samePool.peakRssMb} MB`,
    // What each sent: the ceilings are only a ceiling for messages of about Herald's size.
    heraldMessageBytes: Math.round(h.done.bytes / h.done.count),
    ceilingMessageBytes: samePool.messageBytes,
    loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
  };
  console.log(JSON.stringify(report, null, 2));
  const ok =
    report.timeToFirstMessageMs < 1000 &&
    report.ratioToSamePool >= 0.7 &&
    h.peakRss < 150 * 1024 * 1024;
  console.log(
    `broadcast: ${N} messages in ${(totalMs / 1000).toFixed(1)} s, ${report.messagesPerSecond} msg/s = ${report.ratioToSamePool} of its own SMTP pool with pre-built messages (${samePool.messagesPerSecond} msg/s, mean of ${samePoolBefore.messagesPerSecond} before and ${samePoolAfter.messagesPerSecond} after) and ${report.ratioToRawPool} of a raw nodemailer pool (${rawPool.messagesPerSecond} msg/s), CPU ${report.heraldCpuMsPerMessage} ms/message (its pool alone ${samePool.cpuMsPerMessage}: ${report.cpuRatioToSamePool} by CPU), first after ${report.timeToFirstMessageMs} ms (the publish ${report.publishMs} ms, holding its event loop at most ${report.publishLongestStallMs} ms), delivery process peak RSS ${report.peakRss} ${ok ? '(meets targets)' : '(MISSES a target: >= 0.70 of its own pool, first < 1 s, RSS < 150 MB)'}`,
  );
  sink.stop();

  // A second broadcast of the same size from a whole server: up to 100,000 recipients.
  const whole = N <= 100_000 ? await wholeServer() : null;
  console.log(
    N > 100_000
      ? 'whole server: measured up to 100,000 recipients'
      : whole
        ? `whole server (npm start, web pages too, published through the admin API): main process ${mb(whole.idle)} idle before the incident, peak RSS ${mb(whole.peak)}; delivery process ${mb(whole.deliveryIdle)} idle, peak RSS ${mb(whole.deliveryPeak)}; ${whole.messagesPerSecond} msg/s`
        : 'whole server: not measured (the site is not built, or no /proc to read the RSS from)',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
