// `node server/main.ts`: Herald's process. The module hooks go in before anything imports
// drizzle-orm (see boot/module-hooks.ts), so the rest of Herald is imported after them; the
// compile cache (boot/compile-cache.ts) before them, so it covers every module that follows.
import { useCompileCache } from './boot/compile-cache.ts';
import { registerModuleHooks } from './boot/module-hooks.ts';

useCompileCache();
registerModuleHooks();
await import('./start.ts');
