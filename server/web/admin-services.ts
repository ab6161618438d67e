import type { ActiveSession, SessionUser } from '../domain/auth/sessions.ts';
import { type Actor, hasRole, type Role } from '../domain/shared/actor.ts';
import type { Deps } from '../deps.ts';
import { createBroadcastAdmin } from './forms/broadcasts.ts';
import { createComponentAdmin } from './forms/components.ts';
import { createIncidentAdmin } from './forms/incidents.ts';
import { createAdminOnly } from './forms/people.ts';
import { createTimeAdmin } from './forms/schedule.ts';
import { createWebhookAdmin } from './forms/webhooks.ts';
import { createRecordAdmin } from './forms/record.ts';
import { type FormOutcome, formValues, type PagePostAnswer, runForm } from './forms/form.ts';
import type { SubmissionGuard } from './forms/once.ts';
import { changeOwnPassword } from '../domain/users/update-user.ts';
import { edgeNotice } from '../edge/edge-notice.ts';
import { createReportAdmin } from './forms/reports.ts';
import { createRunbookAdmin } from './forms/runbooks.ts';
import { createSupportScriptAdmin } from './forms/support.ts';
import { createDrillAdmin } from './forms/drills.ts';
import { createAlertRuleAdmin } from './forms/alert-rules.ts';
import { createAudienceAdmin } from './forms/audiences.ts';

/**
 * What a signed-in admin page gets through `Astro.locals.herald.admin`: who is signed in, the
 * CSRF token for its forms, and the admin read/write services. Every write goes through a
 * domain verb with `actor`, which checks the role again and writes the audit log.
 * Another feature adds one line here for its own services (see server/http/README-auth.md).
 */
export interface AdminServices {
  user: SessionUser;
  actor: Actor;
  csrfToken: string;
  can(role: Role): boolean;
  incidents: ReturnType<typeof createIncidentAdmin>;
  components: ReturnType<typeof createComponentAdmin>;
  adminOnly: ReturnType<typeof createAdminOnly>;
  time: ReturnType<typeof createTimeAdmin>;
  /** The signed-in user's own account. */
  account: { changePassword(form: FormData): Promise<FormOutcome> };
  broadcasts: ReturnType<typeof createBroadcastAdmin>;
  /** The caching edge: a line for the dashboard while it is behind or refusing purges. */
  edge: { notice(): Promise<string | null> };
  webhooks: ReturnType<typeof createWebhookAdmin>;
  reports: ReturnType<typeof createReportAdmin>;
  runbooks: ReturnType<typeof createRunbookAdmin>;
  supportScript: ReturnType<typeof createSupportScriptAdmin>;
  drills: ReturnType<typeof createDrillAdmin>;
  /** The incident record, post-mortems, action items, follow-ups and the look back. */
  record: ReturnType<typeof createRecordAdmin>;
  /** Routing rules for alerts from monitoring systems. */
  alertRules: ReturnType<typeof createAlertRuleAdmin>;
  /** Named audiences: who belongs, what they see, their page and feed URLs. */
  audiences: ReturnType<typeof createAudienceAdmin>;
  /**
   * Each admin form's one-time token (`token()`, written by CsrfField.astro) and the guard that
   * runs a form's POST once for it (`once`, run by page-posts.ts): see forms/once.ts.
   */
  submissions: {
    token(): string;
    once(
      path: string,
      form: FormData,
      post: () => Promise<PagePostAnswer>,
    ): Promise<PagePostAnswer>;
  };
}

export function createAdminServices(
  deps: Deps,
  session: ActiveSession,
  submissions: SubmissionGuard,
  /** The client, as every per-client limit counts it (the password check is throttled). */
  clientAddress: string,
): AdminServices {
  return {
    user: session.user,
    actor: session.actor,
    csrfToken: session.csrfToken,
    can: (role) => hasRole(session.actor, role),
    incidents: createIncidentAdmin(deps, session),
    components: createComponentAdmin(deps, session),
    adminOnly: createAdminOnly(deps, session),
    time: createTimeAdmin(deps, session),
    account: {
      async changePassword(form) {
        return runForm(formValues(form), async () => {
          const field = (k: string) => String(form.get(k) ?? '');
          await changeOwnPassword(
            deps,
            {
              currentPassword: field('currentPassword'),
              newPassword: field('newPassword'),
              newPasswordConfirm: field('newPasswordConfirm'),
            },
            session.actor,
            session.sessionId,
            clientAddress,
          );
          return '/admin/account?done=password';
        });
      },
    },
    broadcasts: createBroadcastAdmin(deps, session),
    edge: {
      async notice() {
        if (!deps.edge.enabled) return null;
        return edgeNotice(await deps.edge.status(), deps.clock.now());
      },
    },
    webhooks: createWebhookAdmin(deps, session),
    reports: createReportAdmin(deps, session),
    runbooks: createRunbookAdmin(deps, session),
    supportScript: createSupportScriptAdmin(deps, session),
    drills: createDrillAdmin(deps, session),
    record: createRecordAdmin(deps, session),
    alertRules: createAlertRuleAdmin(deps, session),
    audiences: createAudienceAdmin(deps, session),
    submissions: {
      token: submissions.token,
      once: (path, form, post) => submissions.once(session.user.id, path, form, post),
    },
  };
}
