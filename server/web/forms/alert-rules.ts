import { alertRuleStatuses } from '../../../db/schema/enums.ts';
import { DEFAULT_INCIDENT_BODY, DEFAULT_INCIDENT_TITLE } from '../../domain/alerts/routing.ts';
import { readAlertRules } from '../../domain/alerts/save-alert-rule.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { readComponentChoices } from '../../domain/subscribers/subscriber-reads.ts';
import type { Deps } from '../../deps.ts';
import { alertRuleOps } from '../../routes/alert-rules.ts';
import {
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  optional,
  runFormActions,
  str,
} from './form.ts';

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

/** The rule form's fields, converted from what was typed. */
const ruleFields = (values: FormValues) => ({
  name: str(values, 'name'),
  matchers: matchersFromText(str(values, 'matchers')),
  componentId: optional(values, 'componentId') ?? null,
  priority: priority(values),
  setStatus: setStatus(values),
  declare: str(values, 'declare') === 'on',
  incidentTitle: optional(values, 'incidentTitle') ?? null,
  incidentBody: optional(values, 'incidentBody') ?? null,
});

/** The rules page's forms by `_action`; `id` names the rule. */
const ruleForms = {
  create: formAction(alertRuleOps.create, ruleFields, () => '/admin/alert-rules?done=created'),
  update: formAction(
    alertRuleOps.update,
    (values) => ({ ruleId: str(values, 'id'), ...ruleFields(values) }),
    () => '/admin/alert-rules?done=saved',
  ),
  move: formAction(
    alertRuleOps.update,
    (values) => {
      const to = Number(str(values, 'position'));
      if (!Number.isInteger(to) || to < 1)
        throw new ValidationError('position: not a place in the order', {
          position: 'not a place in the order',
        });
      return { ruleId: str(values, 'id'), position: to };
    },
    () => '/admin/alert-rules?done=moved',
  ),
  delete: formAction(
    alertRuleOps.delete,
    (values) => ({ id: str(values, 'id') }),
    () => '/admin/alert-rules?done=deleted',
  ),
};

/** The alert routing rules page: list in order, add, edit, move, remove. Admins write. */
export function createAlertRuleAdmin(deps: Deps, session: ActiveSession) {
  return {
    defaults: { incidentTitle: DEFAULT_INCIDENT_TITLE, incidentBody: DEFAULT_INCIDENT_BODY },
    statuses: alertRuleStatuses,
    rules: () => readAlertRules(deps.db),
    components: () => readComponentChoices(deps.db),
    action: (form: FormData): Promise<FormOutcome> =>
      runFormActions(deps, session.actor, ruleForms, formValues(form)),
  };
}
