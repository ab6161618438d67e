import type { Deps } from '../deps.ts';
import { createComponent, createComponentInput } from '../domain/components/create-component.ts';
import {
  setComponentStatus,
  setComponentStatusInput,
} from '../domain/components/set-component-status.ts';
import {
  deleteComponent,
  moveComponent,
  moveComponentInput,
  updateComponent,
  updateComponentInput,
} from '../domain/components/update-component.ts';
import { actorOf, type Operation, pathId, op } from './operation.ts';

/** Components and groups: list, create, edit, set status, reorder, delete. */
export function componentOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/components',
        summary: 'List components and groups in display order',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json({ components: (await deps.reader.components()).components }),
    },
    op({
      meta: {
        method: 'post',
        path: '/components',
        summary: 'Create a component or group',
        role: 'admin',
        body: createComponentInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json({ component: await createComponent(deps, input, actorOf(c)) }, 201);
      },
    }),
    op({
      meta: {
        method: 'patch',
        path: '/components/:id',
        summary: 'Rename, describe or regroup a component',
        role: 'admin',
        body: updateComponentInput,
        omit: ['componentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ component: await updateComponent(deps, input, actorOf(c)) });
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/components/:id/status',
        summary: "Set a component's status",
        role: 'responder',
        body: setComponentStatusInput,
        omit: ['componentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await setComponentStatus(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/components/:id/move',
        summary: 'Move a component one place up or down',
        role: 'admin',
        body: moveComponentInput,
        omit: ['componentId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await moveComponent(deps, input, actorOf(c)));
      },
    }),
    {
      meta: {
        method: 'delete',
        path: '/components/:id',
        summary: 'Delete a component (a group must be empty)',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => {
        const deleted = await deleteComponent(deps, { componentId: pathId(c) }, actorOf(c));
        return c.json({ deleted: deleted.id });
      },
    },
  ];
}
