import { createComponent } from '../domain/components/create-component.ts';
import { setComponentStatus } from '../domain/components/set-component-status.ts';
import {
  deleteComponent,
  moveComponent,
  updateComponent,
} from '../domain/components/update-component.ts';
import { operation } from './operation.ts';

/** Components and groups: list, create, edit, set status, reorder, delete. */
export const componentOps = {
  list: operation({
    method: 'get',
    path: '/components',
    summary: 'List components and groups in display order',
    role: 'viewer',
    verb: async (deps) => ({ components: (await deps.reader.components()).components }),
    success: 200,
  }),
  create: operation({
    method: 'post',
    path: '/components',
    summary: 'Create a component or group',
    role: 'admin',
    verb: createComponent,
    answer: (component) => ({ component }),
    success: 201,
  }),
  update: operation({
    method: 'patch',
    path: '/components/:id',
    summary: 'Rename, describe or regroup a component',
    role: 'admin',
    pathField: 'componentId',
    verb: updateComponent,
    answer: (component) => ({ component }),
    success: 200,
  }),
  status: operation({
    method: 'post',
    path: '/components/:id/status',
    summary: "Set a component's status",
    role: 'responder',
    pathField: 'componentId',
    verb: setComponentStatus,
    success: 200,
  }),
  move: operation({
    method: 'post',
    path: '/components/:id/move',
    summary: 'Move a component one place up or down',
    role: 'admin',
    pathField: 'componentId',
    verb: moveComponent,
    success: 200,
  }),
  delete: operation({
    method: 'delete',
    path: '/components/:id',
    summary: 'Delete a component (a group must be empty)',
    role: 'admin',
    verb: (deps, { id }, actor) => deleteComponent(deps, { componentId: id }, actor),
    answer: (deleted) => ({ deleted: deleted.id }),
    success: 200,
  }),
};

export const componentOperations = Object.values(componentOps);
