// The delivery wing's worker thread (started by server/start.ts). As in server/main.ts: the
// compile cache and the module hooks before anything imports drizzle-orm, which hooks are per
// thread; then the rest of Herald.
import { useCompileCache } from '../boot/compile-cache.ts';
import { registerModuleHooks } from '../boot/module-hooks.ts';

useCompileCache();
registerModuleHooks();
const { runDeliveryThread } = await import('./run-thread.ts');
await runDeliveryThread();
