// The SMTP sink (bench/smtp-sink.ts) in its own process, so its work does not count against
// Herald's CPU or memory, and the reports it sends back over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type SinkMessage =
  | { type: 'ready'; port: number }
  | { type: 'first'; at: number }
  | { type: 'done'; at: number; count: number; bytes: number }
  | { type: 'count'; count: number }
  | { type: 'reset' }
  | { type: 'stats'; count: number; unique: number };

/**
 * Starts the sink counting to `expected`. `waitFor` takes the next report of a type (each is
 * read once); `reset` starts a new count, `stats` says what came and how much of it twice.
 */
export async function startSink(expected: number) {
  const child = fork(
    fileURLToPath(new URL('./smtp-sink.ts', import.meta.url)),
    [String(expected)],
    {
      execPath: process.execPath,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  let messages: SinkMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: SinkMessage) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async <T extends SinkMessage['type']>(
    type: T,
  ): Promise<Extract<SinkMessage, { type: T }>> => {
    for (;;) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0] as Extract<SinkMessage, { type: T }>;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const { port } = await waitFor('ready');
  return {
    port,
    pid: child.pid!,
    waitFor,
    async reset() {
      messages = [];
      child.send({ type: 'reset' });
      await waitFor('reset');
    },
    async stats() {
      child.send({ type: 'stats' });
      return waitFor('stats');
    },
    stop: () => child.send({ type: 'stop' }),
  };
}
