import { describe, expect, it } from 'vitest';
import { safeNext } from '../../server/web/forms/form.ts';
import { zonedLocalToUtc } from '../../server/domain/shared/zoned-time.ts';
import { throttleDelayMs } from '../../server/domain/auth/login-throttle.ts';
import { hashPassword, verifyPassword } from '../../server/domain/auth/password.ts';
import { hasRole } from '../../server/domain/shared/actor.ts';
import { isIanaTimeZone } from '../../server/domain/settings/update-settings.ts';
import { roleForAdminPath } from '../../server/http/admin-pages.ts';
import { readCookie, serializeCookie } from '../../server/http/cookies.ts';
import { originAllowed } from '../../server/http/csrf.ts';

describe('password hashing', () => {
  it('verifies the right password and rejects a wrong one, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterz', a)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
    expect(await verifyPassword('anything', 'garbage')).toBe(false);
  });
});

describe('login slow-down', () => {
  it('lets the first failures through, then doubles the wait from 30 seconds up to 15 minutes', () => {
    expect(throttleDelayMs(4, 5)).toBe(0);
    expect(throttleDelayMs(5, 5)).toBe(30_000);
    expect(throttleDelayMs(6, 5)).toBe(60_000);
    expect(throttleDelayMs(50, 5)).toBe(15 * 60_000);
  });
});

describe('origin check', () => {
  const config = { publicUrl: 'https://status.example.com' };
  it('accepts the public origin, the same host, and requests without Origin or Referer', () => {
    expect(
      originAllowed(config, { origin: 'https://status.example.com', host: '10.0.0.5:3000' }),
    ).toBe(true);
    expect(originAllowed(config, { origin: 'http://localhost:3000', host: 'localhost:3000' })).toBe(
      true,
    );
    expect(originAllowed(config, { referer: 'https://status.example.com/admin', host: 'x' })).toBe(
      true,
    );
    expect(originAllowed(config, { host: 'x' })).toBe(true);
  });
  it('refuses another site, an opaque origin and a malformed one', () => {
    expect(
      originAllowed(config, { origin: 'https://evil.example', host: 'status.example.com' }),
    ).toBe(false);
    expect(originAllowed(config, { origin: 'null', host: 'status.example.com' })).toBe(false);
    expect(originAllowed(config, { origin: 'not a url', host: 'status.example.com' })).toBe(false);
    expect(
      originAllowed(config, { referer: 'https://evil.example/x', host: 'status.example.com' }),
    ).toBe(false);
  });
});

describe('cookies', () => {
  it('are HttpOnly and SameSite=Lax, Secure only over https', () => {
    expect(serializeCookie({ publicUrl: 'https://s.example' }, 'a', 'b', 60)).toBe(
      'a=b; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60',
    );
    expect(serializeCookie({ publicUrl: 'http://127.0.0.1:3000' }, 'a', 'b', null)).toBe(
      'a=b; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(readCookie('x=1; herald_session=abc; y=2', 'herald_session')).toBe('abc');
    expect(readCookie('x=1', 'herald_session')).toBeNull();
  });
});

describe('redirect after sign-in', () => {
  it('follows only local paths', () => {
    expect(safeNext('/admin/components?x=1')).toBe('/admin/components?x=1');
    expect(safeNext('//evil.example')).toBe('/admin');
    expect(safeNext('https://evil.example')).toBe('/admin');
    expect(safeNext('/\\evil.example')).toBe('/admin');
    expect(safeNext(undefined)).toBe('/admin');
  });
});

describe('roles', () => {
  it('gives admins everything, responders responder pages and viewers the reading pages', () => {
    expect(hasRole({ role: 'admin' }, 'admin')).toBe(true);
    expect(hasRole({ role: 'responder' }, 'responder')).toBe(true);
    expect(hasRole({ role: 'responder' }, 'admin')).toBe(false);
    expect(hasRole({ role: 'responder' }, 'viewer')).toBe(true);
    expect(hasRole({ role: 'viewer' }, 'viewer')).toBe(true);
    expect(hasRole({ role: 'viewer' }, 'responder')).toBe(false);
    expect(roleForAdminPath('/admin')).toBe('viewer');
    expect(roleForAdminPath('/admin/users/abc')).toBe('admin');
    expect(roleForAdminPath('/admin/usersettings')).toBe('viewer');
    expect(roleForAdminPath('/admin/scheduled/new')).toBe('responder');
    expect(roleForAdminPath('/admin/incidents/new')).toBe('responder');
  });
});

describe('time zones', () => {
  it('accepts IANA names only', () => {
    expect(isIanaTimeZone('Europe/Berlin')).toBe(true);
    expect(isIanaTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isIanaTimeZone('UTC')).toBe(true);
    expect(isIanaTimeZone('CET')).toBe(false);
    expect(isIanaTimeZone('Mars/Olympus')).toBe(false);
    expect(isIanaTimeZone('')).toBe(false);
  });

  it('reads a typed wall-clock time in the page zone, across DST', () => {
    expect(zonedLocalToUtc('2026-07-01T14:30', 'Europe/Berlin')!.toISOString()).toBe(
      '2026-07-01T12:30:00.000Z',
    );
    expect(zonedLocalToUtc('2026-12-01T14:30', 'Europe/Berlin')!.toISOString()).toBe(
      '2026-12-01T13:30:00.000Z',
    );
    expect(zonedLocalToUtc('2026-11-21T09:00', 'America/New_York')!.toISOString()).toBe(
      '2026-11-21T14:00:00.000Z',
    );
    expect(zonedLocalToUtc('2026-11-21T09:00', 'Etc/UTC')!.toISOString()).toBe(
      '2026-11-21T09:00:00.000Z',
    );
    expect(zonedLocalToUtc('tomorrow', 'Etc/UTC')).toBeNull();
  });

  it('one rule in every zone: a skipped time moves forward, a doubled time is the first', () => {
    const at = (local: string, tz: string) => zonedLocalToUtc(local, tz)!.toISOString();
    // Spring forward: New York 02:00 EST -> 03:00 EDT, Berlin 02:00 CET -> 03:00 CEST, Lord
    // Howe 02:00 -> 02:30 (a half-hour jump).
    expect(at('2026-03-08T02:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(at('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(at('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
    expect(at('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(at('2026-10-04T02:10', 'Australia/Lord_Howe')).toBe('2026-10-03T15:40:00.000Z'); // 02:40
    // Fall back: the first 01:30 in New York (EDT), the first 02:30 in Berlin (CEST).
    expect(at('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(at('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    expect(at('2026-04-05T01:45', 'Australia/Lord_Howe')).toBe('2026-04-04T14:45:00.000Z');
  });

  it('refuses a date and time the calendar does not have', () => {
    expect(zonedLocalToUtc('2026-02-31T10:00', 'Europe/Berlin')).toBeNull();
    expect(zonedLocalToUtc('2026-02-29T10:00', 'Etc/UTC')).toBeNull();
    expect(zonedLocalToUtc('2026-13-01T10:00', 'Etc/UTC')).toBeNull();
    expect(zonedLocalToUtc('2026-11-21T24:00', 'Etc/UTC')).toBeNull();
    expect(zonedLocalToUtc('2026-11-21T09:60', 'Etc/UTC')).toBeNull();
    expect(zonedLocalToUtc('2028-02-29T10:00', 'Etc/UTC')!.toISOString()).toBe(
      '2028-02-29T10:00:00.000Z',
    );
  });
});
