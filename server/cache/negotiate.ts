import Negotiator from 'negotiator';
import type { ContentCoding } from './response-cache.ts';

const offered: ContentCoding[] = ['br', 'gzip', 'identity'];
const memo = new Map<string, ContentCoding>();

/**
 * The content coding to answer with for an Accept-Encoding header (q-values, `*`, `identity;q=0`
 * as RFC 9110 says, through `negotiator`). Browsers send a handful of distinct headers, so the
 * answer is remembered per header value; the map is capped because the header is client text.
 */
export function negotiateEncoding(acceptEncoding: string | undefined): ContentCoding {
  if (!acceptEncoding) return 'identity';
  let coding = memo.get(acceptEncoding);
  if (coding) return coding;
  // negotiator 1.x takes `preferred` (our order on equal q-values: br before gzip); its types
  // lag behind, and a method with fewer parameters fits this wider signature.
  const negotiator: {
    encoding(available: readonly string[], opts: { preferred: readonly string[] }): unknown;
  } = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } });
  const chosen = negotiator.encoding(offered, { preferred: offered });
  // Nothing acceptable (identity refused too): identity is still the only honest answer.
  coding = (chosen as ContentCoding | undefined) ?? 'identity';
  if (memo.size >= 256) memo.clear();
  memo.set(acceptEncoding, coding);
  return coding;
}
