import { z } from 'zod';
import { componentStatuses } from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import { createComponent, createComponentInput } from '../../domain/components/create-component.ts';
import {
  setComponentStatus,
  setComponentStatusInput,
} from '../../domain/components/set-component-status.ts';
import {
  deleteComponent,
  updateComponent,
  updateComponentInput,
} from '../../domain/components/update-component.ts';
import type { Actor } from '../../domain/shared/actor.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { runParsed, verb } from '../../domain/shared/verb.ts';
import type { ComponentJson } from '../../domain/status/statuspage-json.ts';
import { fieldError } from './context.ts';
import { type V1At, type V1Row, v1Input } from './operation.ts';
import { componentGroupV1, componentV1 } from './shapes.ts';

// Components and component groups. Each write is one of Herald's component verbs; a request
// that needs two (new name and new status) is parsed whole, once, before the first one runs.

const componentFields = {
  name: z.string({ error: 'must be a string' }).optional(),
  description: z.string({ error: 'must be a string' }).nullable().optional(),
  status: z
    .enum(componentStatuses, {
      error: `must be one of ${componentStatuses.join(', ')}`,
    })
    .optional(),
  group_id: z.string({ error: 'must be a component group id' }).nullable().optional(),
  showcase: z.boolean({ error: 'must be true or false' }).optional(),
  only_show_if_degraded: z.boolean({ error: 'must be true or false' }).optional(),
};
const component = z.strictObject(componentFields, { error: 'must be an object' });

/** Herald's component fields as the client names them, in each step's input and bare. */
const componentNames = (...steps: string[]) => {
  const names: Record<string, string> = {
    name: 'component.name',
    description: 'component.description',
    groupId: 'component.group_id',
    status: 'component.status',
    showcase: 'component.showcase',
    onlyShowIfDegraded: 'component.only_show_if_degraded',
  };
  for (const step of steps) for (const [k, v] of Object.entries(names)) names[`${step}.${k}`] = v;
  return names;
};

const createBody = v1Input(
  z.strictObject({ component }),
  ({ component: b }) => ({
    name: b.name ?? '',
    description: b.description,
    groupId: b.group_id,
    status: b.status,
    showcase: b.showcase,
    onlyShowIfDegraded: b.only_show_if_degraded,
  }),
  createComponentInput,
);

/** A new name, description, group or flags, and a new status: two verbs, one parse. */
const updateBody = v1Input(
  z.strictObject({ id: z.string(), component }),
  ({ id, component: { status, ...rest } }) => ({
    update: Object.values(rest).some((v) => v !== undefined)
      ? {
          componentId: id,
          name: rest.name,
          description: rest.description,
          groupId: rest.group_id,
          showcase: rest.showcase,
          onlyShowIfDegraded: rest.only_show_if_degraded,
        }
      : undefined,
    status: status ? { componentId: id, status } : undefined,
  }),
  z.strictObject({
    update: updateComponentInput.optional(),
    status: setComponentStatusInput.optional(),
  }),
);

const groupFields = z.strictObject(
  {
    name: z.string({ error: 'must be a string' }).optional(),
    description: z.string({ error: 'must be a string' }).nullable().optional(),
    components: z
      .array(z.string({ error: 'must be component ids' }))
      .max(200)
      .optional(),
  },
  { error: 'must be an object' },
);
const groupNames = {
  name: 'component_group.name',
  description: 'component_group.description',
  'create.name': 'component_group.name',
  'create.description': 'component_group.description',
  'update.name': 'component_group.name',
  'update.description': 'component_group.description',
};

const createGroupBody = v1Input(
  z.strictObject({ component_group: groupFields }),
  ({ component_group: b }) => ({
    create: { name: b.name ?? '', description: b.description, isGroup: true },
    members: b.components,
  }),
  z.strictObject({ create: createComponentInput, members: z.array(z.string()).optional() }),
);

const updateGroupBody = v1Input(
  z.strictObject({ id: z.string(), component_group: groupFields }),
  ({ id, component_group: b }) => ({
    update:
      b.name !== undefined || b.description !== undefined
        ? { componentId: id, name: b.name, description: b.description }
        : undefined,
    members: b.components,
  }),
  z.strictObject({
    update: updateComponentInput.optional(),
    members: z.array(z.string()).optional(),
  }),
);

async function allComponents(deps: Deps): Promise<ComponentJson[]> {
  return (await deps.reader.components()).components;
}

async function oneComponent(deps: Deps, id: string, group: boolean): Promise<ComponentJson> {
  const found = (await allComponents(deps)).find((c) => c.id === id && c.group === group);
  if (!found) throw new NotFoundError(group ? 'component group' : 'component', id);
  return found;
}

/** Refuses ids that name no component, before anything is written. */
async function checkMembers(deps: Deps, ids: readonly string[] | undefined) {
  const all = await allComponents(deps);
  const unknown = (ids ?? []).filter((id) => !all.some((x) => x.id === id && !x.group));
  if (unknown.length)
    throw fieldError('component_group.components', `no component with id ${unknown.join(', ')}`);
}

/** Moves the named components into the group and the group's others out. */
async function setMembers(
  deps: Deps,
  groupId: string,
  ids: readonly string[] | undefined,
  actor: Actor,
) {
  if (!ids) return;
  await checkMembers(deps, ids);
  for (const x of (await allComponents(deps)).filter((x) => !x.group)) {
    const inside = ids.includes(x.id);
    if (inside && x.group_id !== groupId)
      await runParsed(updateComponent, deps, { componentId: x.id, groupId }, actor);
    if (!inside && x.group_id === groupId)
      await runParsed(updateComponent, deps, { componentId: x.id, groupId: null }, actor);
  }
}

const componentFound = (deps: Deps, p: Record<string, string>) => oneComponent(deps, p.id!, false);
const groupFound = (deps: Deps, p: Record<string, string>) => oneComponent(deps, p.id!, true);
const C = '/pages/:page_id/components';
const G = '/pages/:page_id/component-groups';

export const componentOperations: V1Row[] = [
  {
    method: 'get',
    path: C,
    role: 'viewer',
    verb: async (deps) => (await allComponents(deps)).filter((x) => !x.group).map(componentV1),
    success: 200,
  },
  {
    method: 'post',
    path: C,
    role: 'admin',
    verb: verb(createBody, async (deps: Deps, input, actor) => {
      const row = await runParsed(createComponent, deps, input, actor);
      return componentV1(await oneComponent(deps, row.id, false));
    }),
    names: componentNames(),
    success: 201,
  },
  {
    method: 'get',
    path: `${C}/:id`,
    role: 'viewer',
    found: componentFound,
    verb: async (_deps, _raw, _actor, at: V1At<ComponentJson>) => componentV1(at.found),
    success: 200,
  },
  {
    method: 'patch',
    path: `${C}/:id`,
    role: 'responder',
    found: componentFound,
    // An empty change (`{"component": {}}`) answers the component as it stands.
    verb: verb(updateBody, async (deps: Deps, input, actor, at: V1At<ComponentJson>) => {
      if (input.update) await runParsed(updateComponent, deps, input.update, actor);
      if (input.status) await runParsed(setComponentStatus, deps, input.status, actor);
      return componentV1(await oneComponent(deps, at.found.id, false));
    }),
    names: componentNames('update', 'status'),
    success: 200,
  },
  {
    method: 'delete',
    path: `${C}/:id`,
    role: 'admin',
    found: componentFound,
    verb: (deps, _raw, actor, at: V1At<ComponentJson>) =>
      deleteComponent(deps, { componentId: at.found.id }, actor),
    success: 204,
  },
  {
    method: 'get',
    path: G,
    role: 'viewer',
    verb: async (deps) => (await allComponents(deps)).filter((x) => x.group).map(componentGroupV1),
    success: 200,
  },
  {
    method: 'post',
    path: G,
    role: 'admin',
    verb: verb(createGroupBody, async (deps: Deps, input, actor) => {
      await checkMembers(deps, input.members);
      const row = await runParsed(createComponent, deps, input.create, actor);
      await setMembers(deps, row.id, input.members, actor);
      return componentGroupV1(await oneComponent(deps, row.id, true));
    }),
    names: groupNames,
    success: 201,
  },
  {
    method: 'get',
    path: `${G}/:id`,
    role: 'viewer',
    found: groupFound,
    verb: async (_deps, _raw, _actor, at: V1At<ComponentJson>) => componentGroupV1(at.found),
    success: 200,
  },
  {
    method: 'patch',
    path: `${G}/:id`,
    role: 'admin',
    found: groupFound,
    verb: verb(updateGroupBody, async (deps: Deps, input, actor, at: V1At<ComponentJson>) => {
      await checkMembers(deps, input.members);
      if (input.update) await runParsed(updateComponent, deps, input.update, actor);
      await setMembers(deps, at.found.id, input.members, actor);
      return componentGroupV1(await oneComponent(deps, at.found.id, true));
    }),
    names: groupNames,
    success: 200,
  },
  // Statuspage deletes a group and keeps its components, which move to the top level.
  {
    method: 'delete',
    path: `${G}/:id`,
    role: 'admin',
    found: groupFound,
    verb: async (deps, _raw, actor, at: V1At<ComponentJson>) => {
      await setMembers(deps, at.found.id, [], actor);
      return deleteComponent(deps, { componentId: at.found.id }, actor);
    },
    success: 204,
  },
];
