// A relay outage in the middle of a P0: N recipients (default 1,000), the relay answers 451 for
// half the outage and refuses connections for the other half (default 20 s in all), then comes
// back. Reports how long after the relay was back the last recipient got the P0 (target: under
// 10 s), and what was lost or doubled.
//
//   node bench/relay-outage.ts [--subscribers 1000] [--outage-seconds 20]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
const { loadConfig } = await import('../server/config.ts');
const { createDeps } = await import('../server/deps.ts');
const { systemClock } = await import('../server/domain/shared/clock.ts');
const { declareIncident } = await import('../server/domain/incidents/declare-incident.ts');
const { createOutboxWorker } = await import('../server/delivery/email-channel.ts');
const { startTcpGate } = await import('../test/helpers/tcp-gate.ts');
const { makeConfirmedSubscriber } = await import('../test/helpers/subscribers.ts');

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const N = option('subscribers', 1000);
const outageMs = option('outage-seconds', 20) * 1000;

// The sink in its own process (bench/smtp-sink.ts): its work does not count against Herald's.
type SinkMessage =
  | { type: 'ready'; port: number }
  | { type: 'first'; at: number }
  | { type: 'done'; at: number; count: number }
  | { type: 'stats'; count: number; unique: number };
const sink = fork(fileURLToPath(new URL('./smtp-sink.ts', import.meta.url)), [String(N)], {
  execPath: process.execPath,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const inbox: SinkMessage[] = [];
let notify: (() => void) | null = null;
sink.on('message', (m: SinkMessage) => {
  inbox.push(m);
  notify?.();
});
async function next<T extends SinkMessage['type']>(type: T) {
  for (;;) {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) return inbox.splice(i, 1)[0] as Extract<SinkMessage, { type: T }>;
    await new Promise<void>((r) => (notify = r));
  }
}
const { port } = await next('ready');
const gate = await startTcpGate(port);
const dir = mkdtempSync(path.join(tmpdir(), 'herald-outage-'));
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: `file:${path.join(dir, 'herald.db')}`,
    PUBLIC_URL: 'https://status.example.com',
    SMTP_URL: `smtp://127.0.0.1:${gate.port}`,
    LOG_LEVEL: 'error',
  }),
  { clock: systemClock },
);
for (let i = 0; i < N; i++) await makeConfirmedSubscriber(deps, `outage${i}@example.net`);
const worker = createOutboxWorker(deps);
worker.start();
sink.send({ type: 'refuse' });
const t0 = Date.now();
await declareIncident(
  deps,
  { title: 'Relay outage', priority: 0, body: 'Investigating.' },
  { type: 'cli', id: null, label: 'bench', role: 'admin' },
);
await new Promise((r) => setTimeout(r, outageMs / 2));
await gate.shut();
await new Promise((r) => setTimeout(r, 500));
sink.send({ type: 'accept' });
await new Promise((r) => setTimeout(r, outageMs / 2 - 500));
await gate.open();
const backAt = Date.now();
const first = await next('first');
const done = await next('done');
const lastAt = done.at;
await worker.stop();
sink.send({ type: 'stats' });
const stats = await next('stats');
const report = {
  subscribers: N,
  outageSeconds: outageMs / 1000,
  firstAfterRelayBackSeconds: +((first.at - backAt) / 1000).toFixed(2),
  lastRecipientAfterRelayBackSeconds: +((lastAt - backAt) / 1000).toFixed(2),
  target: '< 10 s',
  totalSeconds: +((lastAt - t0) / 1000).toFixed(2),
  lost: N - stats.unique,
  doubled: stats.count - stats.unique,
};
console.log(JSON.stringify(report));
console.log(
  `Relay outage bench: ${N} recipients, ${outageMs / 1000} s outage (451, then connection refused): the last recipient got the P0 ${report.lastRecipientAfterRelayBackSeconds} s after the relay was back (target < 10 s); lost ${report.lost}, doubled ${report.doubled}`,
);
await deps.close();
await gate.close();
sink.send({ type: 'stop' });
rmSync(dir, { recursive: true, force: true });
process.exit(0);
