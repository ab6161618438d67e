import { onCommit } from '../db/client.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, readEnv } from './config.ts';
import { createDeps } from './deps.ts';
import { seedDemo } from './demo/seed-demo.ts';
import { createHttpServer, stopListening } from './http/server.ts';
import { createScheduler } from './jobs/scheduler.ts';
import { createEdgePurgeLoop } from './jobs/edge-purger.ts';
import { startDeliveryProcess } from './delivery/start-process.ts';
import { createDayTick } from './jobs/day-tick.ts';
import { mountSite } from './web/mount-site.ts';
import { countUsers } from './domain/users/read-users.ts';

// The process (started by main.ts): config, deps, migrate, mount site, listen, loops. The only
// file with process side effects.
async function main() {
  const args = process.argv.slice(2);
  let config;
  try {
    config = loadConfig(readEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const deps = await createDeps(config);
  if (args.includes('--demo') && (await seedDemo(deps))) {
    deps.log.info('Seeded demo content (components, incidents, a maintenance window).');
  }
  deps.log.info(
    deps.mailer.kind === 'smtp'
      ? `Mail: sending through ${deps.mailer.description}.`
      : `Mail: SMTP_URL is not set, so emails are not sent: each one is written as an ${deps.mailer.description} (open them with any mail program).`,
  );
  if (deps.mailer.kind === 'smtp' && !config.publicUrl.startsWith('https://')) {
    deps.log.info(
      `Mail: PUBLIC_URL (${config.publicUrl}) is not https, so mail providers will not offer one-click unsubscribe (RFC 8058 needs https).`,
    );
  }
  // Sending runs in its own process: pages and mail no longer compete for one event loop or
  // one heap. It loads while this process mounts the site; it runs before Herald listens.
  const delivery = startDeliveryProcess(deps.log);
  // What a write of this process queued (a broadcast, a confirmation email, a webhook event) goes
  // out at once instead of at the delivery process's next look.
  onCommit(deps.db, delivery.due);
  const edgePurges = createEdgePurgeLoop(deps.edge, deps.log);
  edgePurges.start();
  if (deps.edge.enabled)
    deps.log.info(
      `Edge: purging ${config.edgePurgeTargets.map((t) => `${t.kind} ${t.url}`).join(', ')} after every write.`,
    );
  const dayTick = createDayTick(deps);
  dayTick.start();
  const app = createApp(deps, { deliveryDown: delivery.down });
  await mountSite(app, deps);
  // Started before listening: its first pass publishes whatever fell due while Herald was down.
  const scheduler = createScheduler(deps);
  scheduler.start();
  await delivery.started;
  const server = createHttpServer(app, deps);
  server.on('error', (err: NodeJS.ErrnoException) => {
    const where = `${config.host}:${config.port}`;
    const hint =
      err.code === 'EADDRINUSE'
        ? `${where} is already in use: stop the other process or set PORT to a free port.`
        : err.code === 'EACCES'
          ? `not allowed to listen on ${where}: use a PORT above 1023 or run with the needed rights.`
          : `${where}: ${err.message}`;
    console.error(`Herald cannot start: ${hint}`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    deps.log.info(
      `Herald is running at ${config.publicUrl} (listening on ${config.host}:${port}, database ${config.databaseUrl})`,
    );
    // With PORT=0 the configured URL has no real port: link to the address actually bound.
    const hostForUrl =
      config.host === '0.0.0.0' || config.host === '::'
        ? 'localhost'
        : config.host.includes(':')
          ? `[${config.host}]`
          : config.host;
    void printSetupLink(
      config.publicUrlConfigured ? config.publicUrl : `http://${hostForUrl}:${port}`,
    );
  });
  // A fresh database has no account: print a one-time link to create the first admin.
  async function printSetupLink(base: string) {
    if ((await countUsers(deps)) > 0) return;
    const token = deps.setupLink.issue(deps.clock.now());
    console.log(
      `\nNo admin account exists yet. Create the first one here (one-time link, valid 24 hours, this process only):\n\n  ${base}/setup?token=${token}\n\nor from a shell: npx herald user add --email you@example.com --role admin\n`,
    );
  }
  // A graceful stop never doubles: nothing new is claimed, what was handed to the relay (or a
  // receiver) is answered and recorded, what never started is handed back at once. It takes as
  // long as the sends in flight need (bounded by the relay's timeouts); a second signal exits at
  // once for an operator who cannot wait (then only the sends in flight may go twice).
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      deps.log.error(
        `${signal} again: exiting at once; messages in flight were not recorded and may go twice.`,
      );
      delivery.kill();
      process.exit(1);
    }
    stopping = true;
    deps.log.info(
      `${signal}: stopping. Claiming nothing new; finishing and recording what the relay and receivers already have (${signal === 'SIGINT' ? 'Ctrl-C' : 'a second SIGTERM or SIGINT'} again exits at once).`,
    );
    // A second for requests in flight, then change streams and the rest are cut.
    void stopListening(server, 1000);
    dayTick.stop();
    void Promise.all([scheduler.stop(), delivery.stop(), edgePurges.stop()])
      .then(async ([, { mail, hooks }]) => {
        deps.log.info(
          `Stopped: ${mail.finished} emails and ${hooks.finished} webhook posts in flight finished and recorded; ${mail.handedBack} claimed emails never started were handed back (pending again, for the next start).`,
        );
        const left = mail.unrecorded + hooks.unrecorded;
        if (left > 0)
          deps.log.error(
            `Could not record ${left} outcomes (the database refused writes): those messages may be sent again after the restart.`,
          );
        await deps.close();
        process.exit(left > 0 ? 1 : 0);
      })
      .catch((err: unknown) => {
        deps.log.error('Stopping failed', { error: String(err) });
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
