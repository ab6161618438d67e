/**
 * Headers every response carries, from the API to the pages: no MIME sniffing (a JSON body or
 * a feed is never run as HTML), and HSTS when Herald is public over https (browsers then never
 * try plain http again for a year).
 */
export function securityHeaders(publicUrl: string): Record<string, string> {
  const headers: Record<string, string> = { 'x-content-type-options': 'nosniff' };
  if (/^https:\/\//i.test(publicUrl)) headers['strict-transport-security'] = 'max-age=31536000';
  return headers;
}
