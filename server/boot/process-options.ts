// How a Herald server process is started: by `npm start` and `npm run demo` (package.json spells
// these out, and test/unit/process-options.test.ts keeps the two in step) and by both
// benchmarks, so what they measure is what runs.
//
// All three keep a long broadcast's memory low; measured with
// `npm run bench:broadcast -- --subscribers 100000` (peak RSS of the sending process, CPU per
// message): Node's defaults with a 16 MB semi-space 205 MB; these three 137 MB, for 0.141 ms of
// CPU per message against 0.140. Pages cost the same CPU per request (under autocannon: `/`
// 44.5-45.4 µs against 42.9-45.2, `/history.rss` 13.0-13.8 against 13.3-13.6).
// - A 4 MB semi-space: young-generation collections come more often and each copies less; what
//   lives a little longer is promoted, which the next setting keeps in check.
// - The old generation may grow by half of what was live after a full collection (V8's default
//   lets it grow up to fourfold, so a broadcast's short-lived garbage piled up to 80 MB first).
//   The delivery process only: in the server it left about one start in five (5 of 26) in a
//   state where V8's collector threads used 0.45 of a core between them under a refresh storm
//   and the page made 34,000-41,000 req/s instead of 61,000-71,000 (0 of 33 starts without it;
//   bench/README.md, the storm section).
// - glibc keeps at most 2 malloc arenas instead of one per thread that ever allocated (V8's
//   collector threads, libuv's pool): 7 MB less here, the same speed; a whole server process
//   just started sits at 132 MB with it and 152 MB without.

/** V8 flags of the server process, given on node's command line before the entry script. */
export const SERVER_FLAGS = ['--max-semi-space-size=4'] as const;

/** V8 flags of the delivery process the server starts (server/delivery/start-process.ts). */
export const DELIVERY_FLAGS = [...SERVER_FLAGS, '--heap-growing-percent=50'] as const;

/** Environment the process must start with (glibc reads it before any JavaScript runs). */
export const NODE_ENV = { MALLOC_ARENA_MAX: '2' } as const;
