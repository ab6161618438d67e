import type { Logger } from '../../server/logger.ts';

/**
 * A logger that keeps what it is told, for tests that wait on a log line or count them: `lines`
 * has every line in order (debug too), `infos` and `errors` the lines of that level.
 */
export function captureLog(): Logger & {
  lines: string[];
  infos: string[];
  errors: string[];
  /** Whether a line so far contains `text`. */
  has(text: string): boolean;
} {
  const lines: string[] = [];
  const infos: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    infos,
    errors,
    info: (m) => void (lines.push(m), infos.push(m)),
    error: (m) => void (lines.push(m), errors.push(m)),
    debug: (m) => void lines.push(m),
    has: (text: string) => lines.some((l) => l.includes(text)),
  } as Logger & { lines: string[]; infos: string[]; errors: string[]; has(text: string): boolean };
}
