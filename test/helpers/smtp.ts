import type { AddressInfo } from 'node:net';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  parsed: Email;
  header(name: string): string | undefined;
}

/**
 * A real SMTP server in the test process. `reject` decides per message: return an SMTP code
 * and text to refuse it (4xx temporary, 5xx permanent), or null to accept.
 */
export async function startSmtpSink() {
  const received: ReceivedMail[] = [];
  const state: {
    reject: ((to: string[]) => { code: number; message: string } | null) | null;
    delayMs: number;
    hang: boolean;
    gate: Promise<void> | null;
  } = { reject: null, delayMs: 0, hang: false, gate: null };
  let open = () => {};
  // Connections open now, and those the relay stopped answering on (`hang`).
  const connected = new Set<string>();
  const hungSessions = new Set<string>();
  // The recipients of the messages waiting at the gate, one entry per held message.
  const heldRecipients: string[] = [];
  // Every RCPT TO, in the order the relay was given them (a message shows here before its data).
  const rcptLog: string[] = [];
  // The first message to one address held until `releaseFirst()`; the others pass.
  let holdFirst: { address: string; used: boolean; gate: Promise<void>; open: () => void } | null =
    null;
  // Tests waiting for something to be received, checked as each message is.
  const watchers = new Set<() => void>();
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(session, callback) {
      connected.add(session.id);
      if (state.hang) hungSessions.add(session.id);
      callback();
    },
    onClose(session) {
      connected.delete(session.id);
    },
    onRcptTo(address, _session, callback) {
      rcptLog.push(address.address);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        // A relay that stops answering: the message is read, the reply never comes, on every
        // connection it hung on. Data a sender wrote before it died may be read after `hang(false)`:
        // that connection still never answers (a live sender waits for the reply before anything
        // else, so only a dead one's buffered message can arrive there).
        if (state.hang || hungSessions.has(session.id)) {
          hungSessions.add(session.id);
          return;
        }
        // A relay that holds every reply until the test opens the gate: a named point where
        // the senders are known to be mid-message.
        if (state.gate) {
          heldRecipients.push(...session.envelope.rcptTo.map((r) => r.address));
          await state.gate;
        }
        const hf = holdFirst;
        if (hf && !hf.used && session.envelope.rcptTo.some((r) => r.address === hf.address)) {
          hf.used = true;
          await hf.gate;
        }
        // A slow relay: the reply comes after a delay per message.
        if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
        const to = session.envelope.rcptTo.map((r) => r.address);
        const refusal = state.reject?.(to) ?? null;
        if (refusal) {
          const err = new Error(refusal.message) as Error & { responseCode: number };
          err.responseCode = refusal.code;
          return callback(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await PostalMime.parse(raw);
        received.push({
          to,
          raw,
          parsed,
          header: (name) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value,
        });
        callback();
        for (const check of [...watchers]) check();
      });
    },
  });
  // A client killed mid-session (kill -9 in a crash test) resets its connection: not an error
  // of the server's.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    to: (address: string) => received.filter((m) => m.to.includes(address)),
    reject(fn: typeof state.reject) {
      state.reject = fn;
    },
    /** Answer every message only after `ms`. */
    delay(ms: number) {
      state.delayMs = ms;
    },
    /** Stop answering (on) or answer again (off) the messages that arrive from now on. */
    hang(on: boolean) {
      state.hang = on;
      if (on) for (const id of connected) hungSessions.add(id);
    },
    /** Hold every reply from now on until `release()`, so senders stay mid-message. */
    hold() {
      heldRecipients.length = 0;
      state.gate = new Promise<void>((resolve) => (open = resolve));
    },
    /** The recipients of every message that has waited at the gate since `hold()`. */
    heldRecipients: () => [...heldRecipients],
    release() {
      state.gate = null;
      open();
    },
    /** Every RCPT TO so far, in order. */
    rcpts: () => [...rcptLog],
    /** Hold the reply to the next message to `address` until `releaseFirst()`. */
    holdFirst(address: string) {
      let openIt = () => {};
      const gate = new Promise<void>((resolve) => (openIt = resolve));
      holdFirst = { address, used: false, gate, open: openIt };
    },
    releaseFirst() {
      holdFirst?.open();
      holdFirst = null;
    },
    /** Resolves once `done(received)` holds: an event, checked as each message is received. */
    until(done: (mail: ReceivedMail[]) => boolean): Promise<void> {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (!done(received)) return;
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        check();
      });
    },
    clear() {
      received.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // A hung relay keeps its connections: close them too, or close() waits for them.
        for (const conn of (server as unknown as { connections: Set<{ close(): void }> })
          .connections ?? [])
          conn.close();
        server.close(() => resolve());
      }),
  };
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
