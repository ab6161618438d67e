// Alerts-in benchmark: how long an alert takes to reach the triage queue, and an alert storm.
//
//   node bench/intake.ts [--alerts 300] [--storm 1000] [--keys 100] [--concurrency 50]
//
// Herald's API listens on loopback as main.ts serves it, with a fresh database file. Figures:
//   - generic alert to triage queue: sequential POSTs of new keys, timed from the request until
//     the report is in the queue (the write commits before the 202), against a ceiling measured
//     in the same run: a bare node:http server that reads the same body and answers 202;
//   - Alertmanager to triage queue (when Debian's prometheus-alertmanager is installed): an alert
//     posted to Alertmanager's API (group_wait 0s) until its report is in Herald's queue;
//   - the storm: N alerts over K keys (half generic, half Alertmanager groups) with C in flight,
//     as fast as they go: statuses, reports per key, alerts per second.
// Targets from the issue: an alert in the queue within 1 s; a storm of 1,000 alerts in 10 s files
// at most one report per key and answers no 5xx.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// As in server/main.ts: the module hooks before anything imports drizzle-orm.
const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
const { eq } = await import('drizzle-orm');
const { reports } = await import('../db/schema/index.ts');
const { loadConfig } = await import('../server/config.ts');
const { createDeps } = await import('../server/deps.ts');
const { createApp } = await import('../server/app.ts');
const { createHttpServer } = await import('../server/http/server.ts');
const { createApiToken } = await import('../server/domain/auth/api-tokens.ts');
const { readReportQueue } = await import('../server/domain/reports/report-views.ts');

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ALERTS = flag('alerts', 300);
const STORM = flag('storm', 1000);
const KEYS = flag('keys', 100);
const CONCURRENCY = flag('concurrency', 50);

const dir = mkdtempSync(path.join(tmpdir(), 'herald-bench-intake-'));
const config = loadConfig({
  DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
  PUBLIC_URL: 'https://status.example.com',
  LOG_LEVEL: 'error',
  MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
});
const deps = await createDeps(config);
const server = createHttpServer(createApp(deps), deps);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
const { secret } = await createApiToken(
  deps,
  { name: 'bench', role: 'intake' },
  { type: 'cli', id: null, label: 'bench', role: 'admin' },
);

const ms = (ns: bigint) => Number(ns) / 1e6;
function summary(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: s[s.length - 1]! };
}
const fmt = (x: number) => `${x.toFixed(1)} ms`;
const post = (url: string, body: string, auth = true) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth ? { authorization: `Bearer ${secret}` } : {}),
    },
    body,
  });

async function inQueue(reportId: string) {
  const queue = await readReportQueue(deps.db, new Date());
  return queue.some((q) => q.report.id === reportId);
}

// The ceiling: the same loopback round trip to a server that only reads the body.
const bare = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
const bareUrl = `http://127.0.0.1:${(bare.address() as net.AddressInfo).port}/`;
const genericBody = (key: string) =>
  JSON.stringify({
    key,
    status: 'firing',
    title: `Latency high on ${key}`,
    description: 'p99 above 2 s for 5 minutes',
    severity: 'critical',
  });
for (let i = 0; i < 50; i++) await (await post(bareUrl, genericBody(`warm-${i}`))).text();
const ceiling: number[] = [];
for (let i = 0; i < ALERTS; i++) {
  const t0 = process.hrtime.bigint();
  await (await post(bareUrl, genericBody(`c-${i}`))).text();
  ceiling.push(ms(process.hrtime.bigint() - t0));
}
for (let i = 0; i < 20; i++)
  await (await post(`${base}/api/intake/generic`, genericBody(`warm-${i}`))).text();

const latency: number[] = [];
for (let i = 0; i < ALERTS; i++) {
  const t0 = process.hrtime.bigint();
  const res = await post(`${base}/api/intake/generic`, genericBody(`lat-${i}`));
  const body = (await res.json()) as { reports: { reportId: string }[] };
  if (res.status !== 202 || !(await inQueue(body.reports[0]!.reportId)))
    throw new Error(`alert ${i} not in the queue: ${res.status}`);
  latency.push(ms(process.hrtime.bigint() - t0));
}
const c = summary(ceiling);
const l = summary(latency);
console.log(
  `ceiling (bare POST round trip, n=${ALERTS}): p50 ${fmt(c.p50)}, p95 ${fmt(c.p95)}, max ${fmt(c.max)}`,
);
console.log(
  `generic alert to triage queue (n=${ALERTS}): p50 ${fmt(l.p50)}, p95 ${fmt(l.p95)}, max ${fmt(l.max)}; p50 ratio to ceiling ${(l.p50 / c.p50).toFixed(1)}x; within 1 s: ${latency.filter((x) => x < 1000).length}/${ALERTS}`,
);
bare.close();

// Alertmanager to triage queue, through Debian's Alertmanager when it is installed.
const amBin = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';
if (existsSync(amBin)) {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: herald',
      "  group_by: ['alertname']",
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: herald',
      '    webhook_configs:',
      `      - url: ${JSON.stringify(`${base}/api/intake/alertmanager`)}`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${JSON.stringify(secret)}`,
      '',
    ].join('\n'),
  );
  const am = spawn(
    amBin,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=error',
    ],
    { stdio: 'ignore' },
  );
  const amUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    const ok = await fetch(`${amUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const viaAm: number[] = [];
  const N_AM = 20;
  for (let i = 0; i < N_AM; i++) {
    const alertname = `BenchAlert${i}`;
    const t0 = process.hrtime.bigint();
    const res = await post(
      `${amUrl}/api/v2/alerts`,
      JSON.stringify([{ labels: { alertname, severity: 'critical' } }]),
      false,
    );
    if (!res.ok) throw new Error(`Alertmanager refused: ${res.status}`);
    for (;;) {
      const rows = await deps.db
        .select()
        .from(reports)
        .where(eq(reports.alertSource, 'alertmanager'));
      const found = rows.find((r) => r.alertKey?.includes(`"${alertname}"`));
      if (found && (await inQueue(found.id))) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    viaAm.push(ms(process.hrtime.bigint() - t0));
  }
  am.kill('SIGTERM');
  await new Promise((r) => am.once('exit', r));
  const a = summary(viaAm);
  console.log(
    `Alertmanager (group_wait 0s) to triage queue (n=${N_AM}): p50 ${fmt(a.p50)}, p95 ${fmt(a.p95)}, max ${fmt(a.max)}; within 1 s: ${viaAm.filter((x) => x < 1000).length}/${N_AM}`,
  );
} else {
  console.log(`Alertmanager to triage queue: skipped (${amBin} is not installed)`);
}

// The storm.
const bodies: { source: string; body: string }[] = [];
for (let i = 0; i < STORM; i++) {
  const k = i % KEYS;
  if (k % 2 === 0) {
    bodies.push({ source: 'generic', body: genericBody(`storm-${k}`) });
  } else {
    bodies.push({
      source: 'alertmanager',
      body: JSON.stringify({
        version: '4',
        groupKey: `{}:{alertname="Storm${k}"}`,
        status: 'firing',
        receiver: 'herald',
        groupLabels: { alertname: `Storm${k}` },
        commonLabels: { alertname: `Storm${k}`, severity: 'critical' },
        commonAnnotations: { summary: 'storm' },
        externalURL: 'http://alertmanager.example.org',
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels: { alertname: `Storm${k}`, severity: 'critical' },
            annotations: { summary: 'storm' },
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.org/graph',
            fingerprint: `fp${k}`,
          },
        ],
      }),
    });
  }
}
const statuses = new Map<number, number>();
let next = 0;
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const { source, body } = bodies[next++]!;
      const res = await post(`${base}/api/intake/${source}`, body);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  }),
);
const stormMs = ms(process.hrtime.bigint() - t0);
const rows = (await deps.db.select().from(reports)).filter((r) =>
  /storm|Storm/.test(r.alertKey ?? ''),
);
const perKey = new Map<string, number>();
for (const r of rows) perKey.set(r.alertKey!, (perKey.get(r.alertKey!) ?? 0) + 1);
const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(
  `storm: ${STORM} alerts over ${KEYS} keys, ${CONCURRENCY} in flight: ${(stormMs / 1000).toFixed(2)} s (${Math.round((STORM / stormMs) * 1000)} alerts/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; 5xx ${fiveXx}; reports ${rows.length} for ${perKey.size} keys, at most ${Math.max(...perKey.values())} per key; notifications counted ${rows.reduce((n, r) => n + r.alertNotices, 0)}`,
);

await new Promise<void>((r) => server.close(() => r()));
await deps.close();
rmSync(dir, { recursive: true, force: true });
