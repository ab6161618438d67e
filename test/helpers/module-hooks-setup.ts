// Test workers load drizzle-orm as Herald's own process does, through the module hooks
// (server/boot/module-hooks.ts), so a suite's memory and start-up match production.
import { registerModuleHooks } from '../../server/boot/module-hooks.ts';

registerModuleHooks();
