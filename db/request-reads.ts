import { AsyncLocalStorage } from 'node:async_hooks';
import { SQLiteTransaction } from 'drizzle-orm/sqlite-core';

/**
 * Reads that one request would otherwise repeat: a staff page asks for the settings row from
 * its session check, its language, its promise defaults and its time zone, and for the incident
 * from each box on the page. Within a request each such read runs once and its answer is shared.
 *
 * Only for the length of one request (`withRequestReads`, opened per HTTP request): never a
 * process-wide cache, which a write from another Herald process on the same database would not
 * invalidate. Sharing an answer within a request is the same as the request having read a few
 * milliseconds earlier, which it may: a write that returned before the request arrived is seen.
 * A write transaction of this process (`serializeTransactions` calls `forgetRequestReads`) drops
 * every shared answer, so what a request reads after its own write is read again. Reads inside a
 * transaction are never shared: they must see the transaction's own writes.
 */
interface RequestReads {
  /** False once the request's handler has returned: from then on nothing is shared. */
  open: boolean;
  answers: Map<string, Promise<unknown>>;
}
const scope = new AsyncLocalStorage<RequestReads>();

/**
 * Runs `fn` (one request) with its own, initially empty, set of shared reads, closed when `fn`
 * settles. Work the request starts that runs on after it (a timer, a loop started on first use, a
 * streamed body) inherits the scope, and must not go on being answered from it: once closed, every
 * read runs again.
 */
export async function withRequestReads<T>(fn: () => T | Promise<T>): Promise<T> {
  const reads: RequestReads = { open: true, answers: new Map() };
  try {
    return await scope.run(reads, fn);
  } finally {
    reads.open = false;
    reads.answers.clear();
  }
}

/**
 * The answer to `read`, run at most once per request and `key`; outside a request or inside a
 * transaction, `read` as it is. Answers are shared between callers: frozen so that none of them
 * can change what the others see. A read that fails is not kept.
 */
export function readOncePerRequest<T extends object>(
  db: object,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  const reads = scope.getStore();
  if (!reads?.open || db instanceof SQLiteTransaction) return read();
  const shared = reads.answers;
  let answer = shared.get(key) as Promise<T> | undefined;
  if (!answer) {
    const p = read().then(deepFreeze);
    answer = p;
    shared.set(key, p);
    p.catch(() => {
      if (shared.get(key) === p) shared.delete(key);
    });
  }
  return answer;
}

/** Drops every read the current request shares (after a write, they may be out of date). */
export function forgetRequestReads(): void {
  scope.getStore()?.answers.clear();
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
