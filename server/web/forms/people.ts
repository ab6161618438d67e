import { auditObjectTypes, listAudit } from '../../domain/audit/list-audit.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../domain/auth/api-tokens.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { getSettings } from '../../domain/settings/get-settings.ts';
import { updateSettings, updateSettingsInput } from '../../domain/settings/update-settings.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { createUser } from '../../domain/users/create-user.ts';
import { listUsers } from '../../domain/users/read-users.ts';
import { setUserPassword, updateUser } from '../../domain/users/update-user.ts';
import type { Deps } from '../../deps.ts';
import { tokenRoles, userRoles } from '../../../db/schema/enums.ts';
import {
  choice,
  FieldErrors,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  runForm,
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
    async saveSettings(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        const fe = new FieldErrors();
        const minutes = (k: string) => fe.take(() => minutesField(values, k), undefined);
        const always = (k: string) => {
          const m = minutes(k);
          if (m !== null) return m;
          fe.errors[k] ??= 'is required: P0 and P1 always promise the next update';
          return undefined;
        };
        const input = {
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
        fe.throwWith(updateSettingsInput, input);
        await updateSettings(deps, input, actor);
        return '/admin/settings?done=saved';
      });
    },

    users: () => listUsers(deps),
    async userAction(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const action = str(values, '_action');
      const userId = str(values, 'id');
      return runForm(values, async () => {
        switch (action) {
          case 'create':
            await createUser(
              deps,
              {
                email: str(values, 'email'),
                name: str(values, 'name'),
                role: choice(values, 'role', userRoles, 'must be admin or responder'),
                password: String(form.get('password') ?? ''),
              },
              actor,
            );
            return '/admin/users?done=created';
          case 'role':
            await updateUser(
              deps,
              { userId, role: choice(values, 'role', userRoles, 'must be admin or responder') },
              actor,
            );
            return `/admin/users?done=saved&user=${encodeURIComponent(userId)}`;
          case 'disable':
          case 'enable':
            await updateUser(deps, { userId, disabled: action === 'disable' }, actor);
            return `/admin/users?done=${action}d&user=${encodeURIComponent(userId)}`;
          case 'password':
            await setUserPassword(
              deps,
              { userId, password: String(form.get('password') ?? '') },
              actor,
            );
            return '/admin/users?done=password';
          default:
            throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
        }
      });
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
          const { secret, token } = await createApiToken(
            deps,
            {
              name: str(values, 'name'),
              role: choice(
                values,
                'role',
                tokenRoles,
                'must be admin, responder, viewer or intake',
              ),
            },
            actor,
          );
          created = { secret, name: token.name, role: token.role };
          return '';
        });
        if (!r.ok || !created) return r;
        const c = created as { secret: string; name: string; role: string };
        return { ok: true, redirect: null, secret: c.secret, name: c.name, role: c.role, values };
      }
      return runForm(values, async () => {
        if (action !== 'revoke')
          throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
        await revokeApiToken(deps, { tokenId: str(values, 'id') }, actor);
        return '/admin/tokens?done=revoked';
      });
    },

    async audit(query: URLSearchParams) {
      const before = query.get('before');
      const beforeDate = before && /^\d+$/.test(before) ? new Date(Number(before)) : undefined;
      const filter = {
        actor: query.get('actor')?.trim() || undefined,
        objectType: query.get('object_type') || undefined,
        objectId: query.get('object_id')?.trim() || undefined,
      };
      const entries = await listAudit(deps, { ...filter, before: beforeDate, limit: 50 }, actor);
      return {
        filter,
        entries,
        objectTypes: await auditObjectTypes(deps.db),
        tz: (await deps.reader.page()).time_zone,
        olderThan: entries.length === 50 ? entries.at(-1)!.at.getTime() : null,
      };
    },
  };
}
