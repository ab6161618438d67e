import { enableCompileCache } from 'node:module';
import path from 'node:path';

/** Where Herald keeps Node's compile cache unless NODE_COMPILE_CACHE names another folder. */
export const COMPILE_CACHE_DIR = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'herald-compile',
);

/**
 * Node's compile cache keeps each module's compiled code, and for a `.ts` file the code with
 * its types stripped, on disk (keyed by the source, so an edited file is compiled again). A
 * restarted Herald then neither strips types again nor, when the entry itself came from the
 * cache (`npm start` sets NODE_COMPILE_CACHE), loads the type stripper at all: measured, the
 * outbox process starts at 104 MB instead of 129. Best effort: a read-only folder only means
 * no cache.
 */
export function useCompileCache(): void {
  enableCompileCache(process.env.NODE_COMPILE_CACHE || COMPILE_CACHE_DIR);
}
