// A real Herald webhook lane in its own process: opens the database argv[2] and posts with the
// real clock, short backoff and lease (argv[3], argv[4] in ms) until killed, or stops gracefully
// on SIGTERM.
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';

const [dbUrl, backoffMs = '100', leaseMs = '2000'] = process.argv.slice(2);
const deps = await createDeps(
  loadConfig({
    DATABASE_URL: dbUrl,
    PUBLIC_URL: 'https://status.example.com',
    PAGE_NAME: 'Acme',
    LOG_LEVEL: 'error',
  }),
);
const lane = createWebhookWorker(deps, {
  baseBackoffMs: Number(backoffMs),
  maxBackoffMs: Number(backoffMs) * 4,
  leaseMs: Number(leaseMs),
  idleMs: 20,
  timeoutMs: 5000,
});
lane.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  void lane.stop().then(async () => {
    await deps.close();
    process.exit(0);
  });
});
