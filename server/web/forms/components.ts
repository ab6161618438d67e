import { componentStatuses } from '../../../db/schema/enums.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import { componentOps } from '../../routes/components.ts';
import {
  checkbox,
  choice,
  formAction,
  type FormOutcome,
  formValues,
  optional,
  runFormActions,
  str,
} from './form.ts';

const componentId = (values: Record<string, string | string[]>) => str(values, 'id');

/** The components page's forms by `_action`; `id` names the component. */
const componentForms = {
  create: formAction(
    componentOps.create,
    (values) => {
      const isGroup = checkbox(values, 'isGroup');
      return {
        name: str(values, 'name'),
        description: optional(values, 'description') ?? null,
        isGroup,
        groupId: isGroup ? null : (optional(values, 'groupId') ?? null),
      };
    },
    (row) => `/admin/components?done=created#c-${row.id}`,
  ),
  status: formAction(
    componentOps.status,
    (values) => ({
      componentId: componentId(values),
      status: choice(values, 'status', componentStatuses),
    }),
    (_r, values) => `/admin/components?done=status#c-${componentId(values)}`,
  ),
  edit: formAction(
    componentOps.update,
    (values) => ({
      componentId: componentId(values),
      name: str(values, 'name'),
      description: optional(values, 'description') ?? null,
      ...(values.groupId !== undefined ? { groupId: optional(values, 'groupId') ?? null } : {}),
    }),
    (_r, values) => `/admin/components?done=saved#c-${componentId(values)}`,
  ),
  up: formAction(
    componentOps.move,
    (values) => ({ componentId: componentId(values), direction: 'up' }),
    (_r, values) => `/admin/components?done=moved#c-${componentId(values)}`,
  ),
  down: formAction(
    componentOps.move,
    (values) => ({ componentId: componentId(values), direction: 'down' }),
    (_r, values) => `/admin/components?done=moved#c-${componentId(values)}`,
  ),
  delete: formAction(
    componentOps.delete,
    (values) => ({ id: componentId(values) }),
    () => '/admin/components?done=deleted',
  ),
};

export function createComponentAdmin(deps: Deps, session: ActiveSession) {
  return {
    statuses: componentStatuses,
    async list() {
      const { components } = await deps.reader.components();
      return { components, groups: components.filter((c) => c.group) };
    },
    /** The components page's forms, told apart by `_action`; `id` names the component. */
    act: (form: FormData): Promise<FormOutcome> =>
      runFormActions(deps, session.actor, componentForms, formValues(form)),
  };
}
