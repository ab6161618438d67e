/**
 * A loop's pause that something else can cut short: `nap(ms)` resolves after `ms` or as soon as
 * `wake()` is called (new work, an outcome recorded, a stop), whichever comes first.
 */
export function wakeableNap() {
  let wake: (() => void) | null = null;
  return {
    nap(ms: number) {
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          if (wake === done) wake = null;
          resolve();
        }
        wake = done;
      });
    },
    wake() {
      wake?.();
    },
  };
}
