const { registerModuleHooks } = await import('../server/boot/module-hooks.ts');
registerModuleHooks();
let last = process.memoryUsage().rss;
const m = (l: string) => {
  const r = process.memoryUsage().rss;
  console.log(l.padEnd(40), Math.round(r / 1048576), '+' + Math.round((r - last) / 1048576));
  last = r;
};
m('start');
for (const s of [
  'drizzle-orm',
  '@libsql/client',
  'nodemailer/lib/smtp-connection',
  'nodemailer',
  '../db/client.ts',
  '../server/config.ts',
  '../server/logger.ts',
  '../server/mail/transport.ts',
  '../server/domain/status/reader.ts',
  '../server/cache/response-cache.ts',
  '../server/edge/purger.ts',
  '../server/domain/subscribers/import-jobs.ts',
  '../server/domain/settings/get-settings.ts',
  '../server/deps.ts',
  '../server/domain/incidents/declare-incident.ts',
  '../server/jobs/outbox-worker.ts',
]) {
  await import(s);
  m(s);
}
