import type { Role } from '../domain/shared/actor.ts';

/**
 * Every page under /admin needs a signed-in user (responder or admin). Pages that need more are
 * listed here; the longest matching prefix wins. Checked in server/web/mount-site.ts before Astro
 * runs, so a page cannot forget it. Domain verbs check roles again on every write.
 */
export const adminPageRoles: [prefix: string, role: Role][] = [
  // Viewers read the dashboard, incidents, reports, runbooks and components; pages that exist
  // only to change something need a responder.
  ['/admin', 'viewer'],
  ['/admin/incidents/new', 'responder'],
  ['/admin/scheduled', 'responder'],
  ['/admin/maintenance', 'responder'],
  ['/admin/switch', 'responder'],
  ['/admin/broadcasts', 'responder'],
  ['/admin/users', 'admin'],
  ['/admin/tokens', 'admin'],
  ['/admin/settings', 'admin'],
  ['/admin/sign-in', 'admin'],
  ['/admin/audit', 'admin'],
  ['/admin/look-back', 'admin'],
  ['/admin/subscribers', 'admin'],
  ['/admin/lists', 'admin'],
  ['/admin/webhooks', 'admin'],
  ['/admin/audiences', 'admin'],
  ['/admin/reports/settings', 'admin'],
];

export function isAdminPath(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}

export function roleForAdminPath(pathname: string): Role {
  let best: [string, Role] = ['/admin', 'viewer'];
  for (const entry of adminPageRoles) {
    const [prefix] = entry;
    if (
      (pathname === prefix || pathname.startsWith(`${prefix}/`)) &&
      prefix.length >= best[0].length
    )
      best = entry;
  }
  return best[1];
}
