// A real Herald outbox in its own process: opens the database argv[2], sends through the SMTP
// relay argv[3] (argv[4] connections) with the real clock until killed (or SIGTERM: stops
// gracefully). argv[5], when given, is the lease in ms (the heartbeat follows it, a quarter).
import { loadConfig } from '../../server/config.ts';
import { createDeps } from '../../server/deps.ts';
import { createOutboxWorker } from '../../server/delivery/email-channel.ts';

const [dbUrl, smtpUrl, connections = '2', leaseMs] = process.argv.slice(2);
const config = loadConfig({
  DATABASE_URL: dbUrl,
  SMTP_URL: smtpUrl,
  SMTP_MAX_CONNECTIONS: connections,
  PUBLIC_URL: 'https://status.example.com',
  PAGE_NAME: 'Acme',
  LOG_LEVEL: 'error',
});
const deps = await createDeps(config);
const worker = createOutboxWorker(deps, leaseMs ? { leaseMs: Number(leaseMs) } : {});
worker.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  void worker.stop().then(async () => {
    await deps.close();
    process.exit(0);
  });
});
