// One visitor during a storm: its own process (so a busy load generator's event loop does not
// delay it) asks for the status page every 10 ms, one request at a time over a kept-alive
// connection, and answers `stop` over IPC with what it waited: the page's latency as a reader
// sees it, apart from how the load generator measures its own.
//
//   fork('bench/visitor-probe.ts', [url])  ->  send({ type: 'stop' })  ->  { type: 'latency', ... }
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const url = process.argv[2];
if (!url) throw new Error('usage: node bench/visitor-probe.ts URL');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const waited: number[] = [];
let errors = 0;
let stopping = false;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    http
      .get(url!, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) waited.push(performance.now() - started);
          else errors += 1;
          resolve();
        });
      })
      .on('error', () => {
        errors += 1;
        resolve();
      });
  });
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stopping = true;
});
process.send?.({ type: 'ready' });
while (!stopping) {
  await once();
  await sleep(10);
}
const sorted = waited.sort((a, b) => a - b);
const at = (q: number) =>
  +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
process.send?.({
  type: 'latency',
  count: sorted.length,
  errors,
  p50: at(0.5),
  p99: at(0.99),
  max: at(1),
});
agent.destroy();
process.disconnect?.();
