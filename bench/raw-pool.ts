// The ceilings for the broadcast benchmark: pre-built messages of Herald's size and shape sent
// to the same kind of sink over the same number of connections, with no database, no rendering
// and no outbox, through either transport:
// - nodemailer-pool: a raw nodemailer pool (`pool: true`), the ceiling;
// - herald-pool: Herald's own pool of nodemailer SMTP connections (server/mail/smtp-pool.ts),
//   so the gap to Herald is what the outbox itself costs.
// Run as its own process by bench/broadcast.ts; prints {"messagesPerSecond": n} on its last line.
//
//   node bench/raw-pool.ts PORT COUNT CONNECTIONS [nodemailer-pool|herald-pool]
import { existsSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { createSmtpPool } from '../server/mail/smtp-pool.ts';

const [port, count, connections] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const kind = process.argv[5] ?? 'nodemailer-pool';
const send: (to: string, raw: string) => Promise<unknown> =
  kind === 'herald-pool'
    ? (() => {
        const pool = createSmtpPool({ url: `smtp://127.0.0.1:${port}`, connections });
        return (to, raw) => pool.send({ from: 'status@localhost', to: [to] }, raw);
      })()
    : (() => {
        const transport = nodemailer.createTransport({
          host: '127.0.0.1',
          port,
          secure: false,
          ignoreTLS: true,
          pool: true,
          maxConnections: connections,
          maxMessages: Infinity,
        });
        return (to, raw) =>
          transport.sendMail({ envelope: { from: 'status@localhost', to: [to] }, raw });
      })();
// A multipart/alternative message of the size of the bench's P0 as Herald sends it (3,310 bytes
// against Herald's 3,359; the report prints both), built once. It was 4,588 bytes: nodemailer's
// byte loop and the socket copies cost the ceiling more a message than they cost Herald, which
// flattered Herald's ratio.
const para = 'We are investigating errors on the website. Next update in 30 minutes. '.repeat(14);
const raw = [
  'From: "Herald" <status@localhost>',
  'To: reader@example.net',
  'Subject: PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  para,
  '--b',
  'Content-Type: text/html; charset=utf-8',
  '',
  `<html><body><p>${para}</p><p>${para}</p></body></html>`,
  '--b--',
  '',
].join('\r\n');

/**
 * Linux's high-water mark of this process. getrusage's maxRSS would do elsewhere, but on Linux it
 * survives exec and so reports the parent's (the benchmark's) RSS at the fork.
 */
function peakRssKb(): number {
  if (existsSync('/proc/self/status'))
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  return process.resourceUsage().maxRSS;
}

/** The main thread's context switches so far (Linux), voluntary (it slept) and not. */
function switches(): { voluntary: number; involuntary: number } | null {
  if (!existsSync('/proc/self/status')) return null;
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return {
    voluntary: field('voluntary_ctxt_switches'),
    involuntary: field('nonvoluntary_ctxt_switches'),
  };
}

const start = performance.now();
const cpu0 = process.cpuUsage();
const switches0 = switches();
let next = 0;
// As many in flight as Herald keeps at most (its claim window), so both feed the pool alike.
async function lane() {
  while (next < count) {
    const i = next++;
    await send(`reader${i}@example.net`, raw);
  }
}
await Promise.all(Array.from({ length: 1600 }, lane));
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const switches1 = switches();
process.stdout.write(
  `${JSON.stringify({
    messagesPerSecond: Math.round((count / ms) * 1000),
    ms: Math.round(ms),
    cpuMsPerMessage: Number(((cpu.user + cpu.system) / 1000 / count).toFixed(3)),
    peakRssMb: Math.round(peakRssKb() / 1024),
    switchesPerMessage:
      switches0 && switches1
        ? {
            voluntary: Number(((switches1.voluntary - switches0.voluntary) / count).toFixed(2)),
            involuntary: Number(
              ((switches1.involuntary - switches0.involuntary) / count).toFixed(2),
            ),
          }
        : null,
    messageBytes: Buffer.byteLength(raw),
  })}\n`,
  () => process.exit(0),
);
