/**
 * The most pages a paged list offers, as the APIs' `page` allows. A link past it names no page
 * and runs no query: libSQL refuses an offset it cannot hold as an integer (`offset 2e+21`).
 */
export const MAX_PAGE = 100_000;

/**
 * A `?page=` as a link asked for it: absent is the first page; digits name a page (one past
 * MAX_PAGE, or 0, names none, and is shown back as asked); anything else (a sign, a fraction,
 * letters, nothing after `=`) is malformed.
 */
export type PageAsked =
  { kind: 'page'; n: number } | { kind: 'none'; shown: string } | { kind: 'malformed' };

export function parsePageParam(raw: string | null | undefined): PageAsked {
  if (raw === null || raw === undefined) return { kind: 'page', n: 1 };
  if (!/^\d+$/.test(raw)) return { kind: 'malformed' };
  const shown = raw.replace(/^0+(?=\d)/, '');
  const n = shown.length <= String(MAX_PAGE).length ? Number(shown) : Infinity;
  return n >= 1 && n <= MAX_PAGE ? { kind: 'page', n } : { kind: 'none', shown };
}

/**
 * One page of a list as a page shows it: `answer` is what the page answers (a 404 for a page
 * that does not exist, with `shown` the number asked; a 400 for a malformed one).
 */
export interface PageOf {
  pageNumber: number;
  pageCount: number;
  total: number;
  answer: { status: 200 } | { status: 404; shown: string } | { status: 400 };
}

/** Where the asked page starts, and how many rows to read (none for a page that is not). */
export function pageWindow(asked: PageAsked, size: number): { offset: number; limit: number } {
  return asked.kind === 'page'
    ? { offset: (asked.n - 1) * size, limit: size }
    : { offset: 0, limit: 0 };
}

export function pageOf(asked: PageAsked, total: number, size: number): PageOf {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const pageNumber = asked.kind === 'page' ? asked.n : 1;
  if (asked.kind === 'malformed') return { pageNumber, pageCount, total, answer: { status: 400 } };
  if (asked.kind === 'none')
    return { pageNumber, pageCount, total, answer: { status: 404, shown: asked.shown } };
  if (asked.n > pageCount)
    return { pageNumber, pageCount, total, answer: { status: 404, shown: String(asked.n) } };
  return { pageNumber, pageCount, total, answer: { status: 200 } };
}
