import { componentStatuses } from '../../../db/schema/enums.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { createComponent } from '../../domain/components/create-component.ts';
import { setComponentStatus } from '../../domain/components/set-component-status.ts';
import {
  deleteComponent,
  moveComponent,
  updateComponent,
} from '../../domain/components/update-component.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import type { Deps } from '../../deps.ts';
import { checkbox, choice, type FormOutcome, formValues, optional, runForm, str } from './form.ts';

export function createComponentAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  return {
    statuses: componentStatuses,
    async list() {
      const { components } = await deps.reader.components();
      return { components, groups: components.filter((c) => c.group) };
    },
    /** The components page's forms, told apart by `_action`; `id` names the component. */
    async act(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const action = str(values, '_action');
      const componentId = str(values, 'id');
      return runForm(values, async () => {
        switch (action) {
          case 'create': {
            const isGroup = checkbox(values, 'isGroup');
            const row = await createComponent(
              deps,
              {
                name: str(values, 'name'),
                description: optional(values, 'description') ?? null,
                isGroup,
                groupId: isGroup ? null : (optional(values, 'groupId') ?? null),
              },
              actor,
            );
            return `/admin/components?done=created#c-${row.id}`;
          }
          case 'status':
            await setComponentStatus(
              deps,
              { componentId, status: choice(values, 'status', componentStatuses) },
              actor,
            );
            return `/admin/components?done=status#c-${componentId}`;
          case 'edit':
            await updateComponent(
              deps,
              {
                componentId,
                name: str(values, 'name'),
                description: optional(values, 'description') ?? null,
                ...(values.groupId !== undefined
                  ? { groupId: optional(values, 'groupId') ?? null }
                  : {}),
              },
              actor,
            );
            return `/admin/components?done=saved#c-${componentId}`;
          case 'up':
          case 'down':
            await moveComponent(deps, { componentId, direction: action }, actor);
            return `/admin/components?done=moved#c-${componentId}`;
          case 'delete':
            await deleteComponent(deps, { componentId }, actor);
            return '/admin/components?done=deleted';
          default:
            throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
        }
      });
    },
  };
}
