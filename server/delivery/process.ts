// The delivery wing's own process (forked by start-process.ts, which server/start.ts calls). As in
// server/main.ts: the compile cache and the module hooks before anything imports drizzle-orm;
// then the rest of Herald, without Astro, the pages or the HTTP server.
import { useCompileCache } from '../boot/compile-cache.ts';
import { registerModuleHooks } from '../boot/module-hooks.ts';

useCompileCache();
registerModuleHooks();
const { runDeliveryProcess } = await import('./run-process.ts');
await runDeliveryProcess();
