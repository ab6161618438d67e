// `node server/main.ts`: Herald's process. The module hooks go in before anything imports
// drizzle-orm (see boot/module-hooks.ts), so the rest of Herald is imported after them.
import { registerModuleHooks } from './boot/module-hooks.ts';

registerModuleHooks();
await import('./start.ts');
