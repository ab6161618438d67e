import { auditObjectTypes, listAudit } from '../../domain/audit/list-audit.ts';
import { listApiTokens } from '../../domain/auth/api-tokens.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { getSettings } from '../../domain/settings/get-settings.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { listUsers } from '../../domain/users/read-users.ts';
import { setUserPassword, updateUser } from '../../domain/users/update-user.ts';
import type { Deps } from '../../deps.ts';
import { accountOps } from '../../routes/accounts.ts';
import { tokenRoles, userRoles } from '../../../db/schema/enums.ts';
import {
  choice,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  runForm,
  runFormAction,
  runFormActions,
  runRow,
  str,
} from './form.ts';

/**
 * A minutes field of the settings form: absent keeps the setting, empty means "no promise"
 * (null; refused for P0/P1 by the schema), otherwise a whole number.
 */
function minutesField(values: FormValues, key: string): number | null | undefined {
  if (values[key] === undefined) return undefined;
  const v = str(values, key).trim();
  if (v === '') return null;
  if (!/^\d{1,5}$/.test(v))
    throw new ValidationError(`${key}: must be a whole number of minutes`, {
      [key]: 'must be a whole number of minutes',
    });
  return Number(v);
}

/** The settings form: minutes fields read explicitly, P0 and P1 always promising. */
const settingsForm = formAction(
  accountOps.updateSettings,
  (values, fe) => {
    const minutes = (k: string) => fe.take(() => minutesField(values, k), undefined);
    const always = (k: string) => {
      const m = minutes(k);
      if (m !== null) return m;
      fe.errors[k] ??= 'is required: P0 and P1 always promise the next update';
      return undefined;
    };
    return {
      pageName: str(values, 'pageName'),
      publicUrl: str(values, 'publicUrl').trim(),
      timeZone: str(values, 'timeZone'),
      // A form without the field (older pages, scripts) keeps the language as it is.
      ...(str(values, 'defaultLanguage')
        ? { defaultLanguage: str(values, 'defaultLanguage') }
        : {}),
      translationLanguages: list(values, 'translationLanguages'),
      promiseMinutesP0: always('promiseMinutesP0'),
      promiseMinutesP1: always('promiseMinutesP1'),
      promiseMinutesP2: minutes('promiseMinutesP2'),
      promiseMinutesP3: minutes('promiseMinutesP3'),
    };
  },
  () => '/admin/settings?done=saved',
);

/** Settings, users, API tokens and the audit log: the admin-only pages. */
export function createAdminOnly(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  return {
    async settings() {
      const s = await getSettings(deps.db);
      return {
        pageName: s.pageName,
        publicUrl: s.publicUrl ?? '',
        timeZone: s.timeZone,
        defaultLanguage: s.defaultLanguage,
        translationLanguages: s.translationLanguages.split(',').filter(Boolean),
        promiseMinutesP0: String(s.promiseMinutesP0),
        promiseMinutesP1: String(s.promiseMinutesP1),
        promiseMinutesP2: s.promiseMinutesP2 === null ? '' : String(s.promiseMinutesP2),
        promiseMinutesP3: s.promiseMinutesP3 === null ? '' : String(s.promiseMinutesP3),
        timeZones: Intl.supportedValuesOf('timeZone'),
      };
    },
    saveSettings: (form: FormData): Promise<FormOutcome> =>
      runFormAction(deps, actor, settingsForm, formValues(form)),

    users: () => listUsers(deps),
    async userAction(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const userId = str(values, 'id');
      return runFormActions(
        deps,
        actor,
        {
          create: formAction(
            accountOps.createUser,
            (values) => ({
              email: str(values, 'email'),
              name: str(values, 'name'),
              role: choice(values, 'role', userRoles),
              password: String(form.get('password') ?? ''),
            }),
            () => '/admin/users?done=created',
          ),
          role: async (values) => {
            const role = choice(values, 'role', userRoles);
            await updateUser(deps, { userId, role }, actor);
            return `/admin/users?done=saved&user=${encodeURIComponent(userId)}`;
          },
          disable: async () => {
            await updateUser(deps, { userId, disabled: true }, actor);
            return `/admin/users?done=disabled&user=${encodeURIComponent(userId)}`;
          },
          enable: async () => {
            await updateUser(deps, { userId, disabled: false }, actor);
            return `/admin/users?done=enabled&user=${encodeURIComponent(userId)}`;
          },
          password: async () => {
            await setUserPassword(
              deps,
              { userId, password: String(form.get('password') ?? '') },
              actor,
            );
            return '/admin/users?done=password';
          },
        },
        values,
      );
    },

    tokens: () => listApiTokens(deps),
    /** Creating shows the secret once on the answer page itself (a redirect would lose it). */
    async tokenAction(form: FormData): Promise<
      | FormOutcome
      | {
          ok: true;
          redirect: null;
          secret: string;
          name: string;
          role: string;
          values: FormValues;
        }
    > {
      const values = formValues(form);
      const action = str(values, '_action');
      if (action === 'create') {
        let created: { secret: string; name: string; role: string } | null = null;
        const r = await runForm(values, async () => {
          const { secret, token } = await runRow(
            deps,
            actor,
            accountOps.createToken,
            values,
            () => ({
              name: str(values, 'name'),
              role: choice(
                values,
                'role',
                tokenRoles,
                'must be admin, responder, viewer or intake',
              ),
            }),
          );
          created = { secret, name: token.name, role: token.role };
          return '';
        });
        if (!r.ok || !created) return r;
        const c = created as { secret: string; name: string; role: string };
        return { ok: true, redirect: null, secret: c.secret, name: c.name, role: c.role, values };
      }
      return runFormActions(
        deps,
        actor,
        {
          revoke: formAction(
            accountOps.revokeToken,
            (values) => ({ id: str(values, 'id') }),
            () => '/admin/tokens?done=revoked',
          ),
        },
        values,
      );
    },

    /**
     * The audit log, 50 entries at a time: `before` is the time (ms) of the oldest entry shown,
     * as the "older" link carries it; anything else is answered 400 rather than read as no filter.
     */
    async audit(query: URLSearchParams) {
      const before = query.get('before');
      const beforeDate = before === null ? undefined : new Date(Number(before));
      const badBefore =
        beforeDate !== undefined &&
        (!/^\d{1,15}$/.test(before!) || !isFinite(beforeDate.getTime()));
      const filter = {
        actor: query.get('actor')?.trim() || undefined,
        objectType: query.get('object_type') || undefined,
        objectId: query.get('object_id')?.trim() || undefined,
      };
      const entries = badBefore
        ? []
        : await listAudit(deps, { ...filter, before: beforeDate, limit: 50 }, actor);
      return {
        filter,
        entries,
        objectTypes: await auditObjectTypes(deps.db),
        tz: (await deps.reader.page()).time_zone,
        olderThan: entries.length === 50 ? entries.at(-1)!.at.getTime() : null,
        answer: badBefore ? ({ status: 400 } as const) : ({ status: 200 } as const),
      };
    },
  };
}
