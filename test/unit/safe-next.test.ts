import { describe, expect, it } from 'vitest';
import { safeNext } from '../../server/web/forms/form.ts';

const origin = 'https://status.example.com';

/** What a browser does with the Location header: the origin it lands on. */
const landsOn = (location: string) => new URL(location, `${origin}/login`).origin;

describe('sign-in redirects stay on Herald’s origin', () => {
  it('refuses every known open-redirect spelling of another host, encoded or not', () => {
    const bypasses = [
      '/.//evil.example/',
      '/./\\evil.example/',
      '/..//evil.example/',
      '/a/..//evil.example',
      '//evil.example',
      '///evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '\\/evil.example',
      '/\t/evil.example',
      '/%09/evil.example',
      '/\n/evil.example',
      '/\r/evil.example',
      '/ /evil.example',
      'https://evil.example/',
      'http:evil.example',
      '/%2F/evil.example',
      '/%2f%2fevil.example',
      '/%5C/evil.example',
      '/%5c%5cevil.example',
      '/.%2F%2Fevil.example',
      '/%2e//evil.example',
      '/%2e%2e//evil.example',
      'javascript:alert(1)',
      '/\u3000/evil.example',
      '//evil.example@status.example.com',
      '/@evil.example',
    ];
    for (const next of bypasses) {
      const location = safeNext(next, '/admin', origin);
      expect([next, landsOn(location)]).toEqual([next, origin]);
      expect([next, location.startsWith('//') || location.startsWith('/\\')]).toEqual([
        next,
        false,
      ]);
    }
    expect(safeNext('/.//evil.example/', '/admin', origin)).toBe('/admin');
  });

  it('follows a path on the same origin, keeping its query and fragment', () => {
    expect(safeNext('/admin/components', '/admin', origin)).toBe('/admin/components');
    expect(safeNext('/admin/incidents?state=open#top', '/admin', origin)).toBe(
      '/admin/incidents?state=open#top',
    );
    expect(safeNext('/report', '/admin', origin)).toBe('/report');
  });
});
