// Response headers for pages. Dependency-free: the Astro middleware imports it too.

const baseCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'";

/** Public pages: the same for everyone, cacheable, embeddable (status widgets). */
export const publicPageHeaders: Record<string, string> = {
  'content-security-policy': baseCsp,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

/** Per-visitor pages (admin, sign-in, forms with tokens): never stored anywhere, never framed. */
export const privatePageHeaders: Record<string, string> = {
  'content-security-policy': `${baseCsp}; frame-ancestors 'none'`,
  'cache-control': 'private, no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};
