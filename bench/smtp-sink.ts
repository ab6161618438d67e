// A local SMTP sink for the broadcast benchmark, run as a separate process so its work does
// not count against Herald's CPU or memory: accepts every message, discards it, and reports
// the time of the first one and the running count to the parent over IPC.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let count = 0;
/** Bytes of message data received: the average message size the parent reports. */
let bytes = 0;
let expected = Number(process.argv[2] ?? 0);
// Recipients since the last reset: what was lost (never came) and doubled (came twice).
const seen = new Set<string>();
// While on, every message is refused for now (451), as by a relay in trouble.
let refusing = false;
const server = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  maxClients: 1000,
  onData(stream, session, callback) {
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      if (refusing) {
        const err = new Error('4.3.2 try again later') as Error & { responseCode: number };
        err.responseCode = 451;
        return callback(err);
      }
      count += 1;
      for (const r of session.envelope.rcptTo) seen.add(r.address);
      const at = Date.now();
      if (count === 1) process.send?.({ type: 'first', at });
      if (count === expected) process.send?.({ type: 'done', at, count, bytes });
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.server.address() as AddressInfo).port });
});
process.on('message', (m: { type: string; expected?: number }) => {
  if (m.type === 'expect') expected = m.expected ?? expected;
  if (m.type === 'count') process.send?.({ type: 'count', count });
  if (m.type === 'refuse') refusing = true;
  if (m.type === 'accept') refusing = false;
  if (m.type === 'reset') {
    count = 0;
    seen.clear();
    process.send?.({ type: 'reset' });
  }
  if (m.type === 'stats') process.send?.({ type: 'stats', count, unique: seen.size });
  if (m.type === 'stop') server.close(() => process.exit(0));
});
