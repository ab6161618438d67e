export interface Logger {
  info(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
  debug(msg: string, extra?: Record<string, unknown>): void;
}

const levels = { silent: 0, error: 1, info: 2, debug: 3 } as const;

/** One line per event on stderr/stdout; extra fields as JSON. */
export function createLogger(level: keyof typeof levels): Logger {
  const n = levels[level];
  const fmt = (msg: string, extra?: Record<string, unknown>) =>
    extra ? `${msg} ${JSON.stringify(extra)}` : msg;
  return {
    info: (m, e) => void (n >= 2 && console.log(fmt(m, e))),
    error: (m, e) => void (n >= 1 && console.error(fmt(m, e))),
    debug: (m, e) => void (n >= 3 && console.log(fmt(m, e))),
  };
}
