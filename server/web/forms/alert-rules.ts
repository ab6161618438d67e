import { alertRuleStatuses } from '../../../db/schema/enums.ts';
import { DEFAULT_INCIDENT_BODY, DEFAULT_INCIDENT_TITLE } from '../../domain/alerts/routing.ts';
import {
  createAlertRule,
  deleteAlertRule,
  readAlertRules,
  updateAlertRule,
} from '../../domain/alerts/save-alert-rule.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { readComponentChoices } from '../../domain/subscribers/subscriber-reads.ts';
import type { Deps } from '../../deps.ts';
import { type FormOutcome, type FormValues, formValues, optional, runForm, str } from './form.ts';

/** "severity=critical" lines, one matcher each, as the rule form takes them. */
export function matchersFromText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const l = line.trim();
    if (!l) continue;
    const at = l.indexOf('=');
    if (at <= 0)
      throw new ValidationError(`matchers: line ${i + 1} is not label=value`, {
        matchers: `line ${i + 1} is not label=value`,
      });
    out[l.slice(0, at).trim()] = l.slice(at + 1).trim();
  }
  return out;
}

export function matchersToText(m: Record<string, string>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

const priority = (values: FormValues) => {
  const p = str(values, 'priority');
  if (!/^[0-3]$/.test(p))
    throw new ValidationError('priority: pick P0, P1, P2 or P3', {
      priority: 'pick P0, P1, P2 or P3',
    });
  return Number(p);
};

const setStatus = (values: FormValues) => {
  const v = str(values, 'setStatus');
  if (v === '') return null;
  const found = alertRuleStatuses.find((s) => s === v);
  if (!found)
    throw new ValidationError('setStatus: pick a status or leave it alone', {
      setStatus: 'pick a status or leave it alone',
    });
  return found;
};

/** The alert routing rules page: list in order, add, edit, move, remove. Admins write. */
export function createAlertRuleAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  return {
    defaults: { incidentTitle: DEFAULT_INCIDENT_TITLE, incidentBody: DEFAULT_INCIDENT_BODY },
    statuses: alertRuleStatuses,
    rules: () => readAlertRules(deps.db),
    components: () => readComponentChoices(deps.db),
    async action(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const action = str(values, '_action');
      return runForm(values, async () => {
        const fields = () => ({
          name: str(values, 'name'),
          matchers: matchersFromText(str(values, 'matchers')),
          componentId: optional(values, 'componentId') ?? null,
          priority: priority(values),
          setStatus: setStatus(values),
          declare: str(values, 'declare') === 'on',
          incidentTitle: optional(values, 'incidentTitle') ?? null,
          incidentBody: optional(values, 'incidentBody') ?? null,
        });
        switch (action) {
          case 'create':
            await createAlertRule(deps, fields(), actor);
            return '/admin/alert-rules?done=created';
          case 'update':
            await updateAlertRule(deps, { ruleId: str(values, 'id'), ...fields() }, actor);
            return '/admin/alert-rules?done=saved';
          case 'move': {
            const to = Number(str(values, 'position'));
            if (!Number.isInteger(to) || to < 1)
              throw new ValidationError('position: not a place in the order', {
                position: 'not a place in the order',
              });
            await updateAlertRule(deps, { ruleId: str(values, 'id'), position: to }, actor);
            return '/admin/alert-rules?done=moved';
          }
          case 'delete':
            await deleteAlertRule(deps, { ruleId: str(values, 'id') }, actor);
            return '/admin/alert-rules?done=deleted';
          default:
            throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
        }
      });
    },
  };
}
