import type { AdminServices } from '../admin-services.ts';
import type { AuthServices } from './auth.ts';
import type { PagePostAnswer } from './form.ts';

export type { PagePostAnswer } from './form.ts';

/** What an admin page's POST runs: its form action over the page's operation rows. */
type PagePost = (
  admin: AdminServices,
  params: Record<string, string | undefined>,
  form: FormData,
  auth: AuthServices,
) => Promise<PagePostAnswer>;

/**
 * Every admin page that takes a form POST, by its route (Astro's `routePattern`), and the form
 * action it runs. The site middleware runs it before the page renders: success is a 303 to where
 * the action says, a refusal renders the page with `posted` (what was typed, the field errors,
 * the status). The form actions read the typed strings into the verb's input and run the
 * operation row (`formAction` in server/web/forms/form.ts); a page only renders (see "A form"
 * in docs/developing.md).
 */
export const adminPagePosts: Readonly<Record<string, PagePost>> = {
  '/admin/account': (a, _p, form) => a.account.changePassword(form),
  // Admins only: the rows' role refuses anyone else with a 403 before a field is read.
  '/admin/alert-rules': (a, _p, form) => a.alertRules.action(form),
  '/admin/audiences': (a, _p, form) => a.audiences.create(form),
  '/admin/audiences/[id]': (a, p, form) => a.audiences.action(p.id ?? '', form),
  '/admin/broadcasts/[id]': (a, p, form) => a.broadcasts.retry(p.id ?? '', form),
  '/admin/components': (a, _p, form) => a.components.act(form),
  '/admin/drills': (a, _p, form) => a.drills.schedule(form),
  '/admin/incidents/[id]': (a, p, form) => a.incidents.act(p.id ?? '', form),
  // Declaring from a report (its `reportId` field) also links the report.
  '/admin/incidents/new': (a, _p, form) =>
    form.has('reportId') ? a.reports.declare(form, a.incidents) : a.incidents.declare(form),
  '/admin/incidents/[id]/holding': (a, p, form) => a.time.postHolding(p.id ?? '', form),
  '/admin/incidents/[id]/postmortem': (a, p, form) => a.record.postmortemAct(p.id ?? '', form),
  '/admin/incidents/[id]/promises': (a, p, form) => a.time.setAutoHolding(p.id ?? '', form),
  '/admin/incidents/[id]/record': (a, p, form) => a.record.act(p.id ?? '', form),
  '/admin/incidents/[id]/schedule': (a, p, form) => a.time.scheduleUpdate(p.id ?? '', form),
  '/admin/incidents/[id]/support-script': (a, p, form) => a.supportScript.save(p.id ?? '', form),
  '/admin/lists': (a, _p, form) => a.broadcasts.saveList(form),
  '/admin/lists/[id]': (a, p, form) => a.broadcasts.saveList(form, p.id ?? ''),
  '/admin/maintenance': (a, _p, form) => a.time.scheduleMaintenance(form),
  '/admin/maintenance/[id]': (a, p, form) => a.time.actOnMaintenance(p.id ?? '', form),
  '/admin/reports/[id]': (a, p, form) => a.reports.decide(p.id ?? '', form),
  '/admin/reports/settings': (a, _p, form) => a.reports.saveSettings(form),
  '/admin/runbooks/[componentId]': (a, p, form) => a.runbooks.save(p.componentId ?? '', form),
  '/admin/scheduled/new': (a, _p, form) => a.time.scheduleIncident(form),
  '/admin/scheduled/[id]': (a, p, form) => a.time.actOnScheduled(p.id ?? '', form),
  // Local passwords on or off: the verb refuses to lock everyone out.
  '/admin/sign-in': (_a, _p, form, auth) => auth.setLocalPasswords(form),
  '/admin/settings': (a, _p, form) => a.adminOnly.saveSettings(form),
  // Two forms, refused into two places on the page (told apart by `values._action`).
  '/admin/subscribers': (a, _p, form) =>
    form.get('_action') === 'import' ? a.broadcasts.import(form) : a.broadcasts.remove(form),
  '/admin/tokens': (a, _p, form) => a.adminOnly.tokenAction(form),
  '/admin/switch': (a, _p, form) => a.time.actOnSwitch(form),
  '/admin/users': (a, _p, form) => a.adminOnly.userAction(form),
  '/admin/webhooks': (a, _p, form) => a.webhooks.create(form),
  '/admin/webhooks/[id]': (a, p, form) => a.webhooks.action(p.id ?? '', form),
};

/**
 * Runs the POST of an admin page listed above; `null` for a page that reads its own. The answer
 * is either where to go (a 303) or the refusal the page renders with what was typed. A form
 * carrying its one-time token runs once however often it is sent (a double-click, a replayed
 * request): the repeats answer where the first went (server/web/forms/once.ts). `path` is the
 * page's own address, where a form whose answer was shown in place sends a repeat.
 */
export async function runAdminPagePost(
  admin: AdminServices,
  auth: AuthServices,
  route: string,
  params: Record<string, string | undefined>,
  read: () => Promise<FormData>,
  path: string,
): Promise<PagePostAnswer | null> {
  const post = Object.hasOwn(adminPagePosts, route) ? adminPagePosts[route] : undefined;
  if (!post) return null;
  const form = await read();
  return admin.submissions.once(path, form, () => post(admin, params, form, auth));
}
