import { Hono } from 'hono';
import { z } from 'zod';
import { componentStatuses } from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import { createComponent } from '../../domain/components/create-component.ts';
import { setComponentStatus } from '../../domain/components/set-component-status.ts';
import { deleteComponent, updateComponent } from '../../domain/components/update-component.ts';
import { NotFoundError, ValidationError } from '../../domain/shared/errors.ts';
import type { ComponentJson } from '../../domain/status/statuspage-json.ts';
import {
  actorOf,
  inV1Words,
  noContent,
  param,
  type V1Context,
  type V1Env,
  v1Body,
} from './context.ts';
import { componentGroupV1, componentV1 } from './shapes.ts';

// Components and component groups. Each write is one of Herald's component verbs; a request
// that needs two (new name and new status) is checked whole before the first one runs.

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
const componentBody = z.strictObject({
  component: z.strictObject(componentFields, { error: 'must be an object' }),
});
const componentNames = {
  name: 'component.name',
  description: 'component.description',
  groupId: 'component.group_id',
  status: 'component.status',
  showcase: 'component.showcase',
  onlyShowIfDegraded: 'component.only_show_if_degraded',
};

const groupBody = z.strictObject({
  component_group: z.strictObject(
    {
      name: z.string({ error: 'must be a string' }).optional(),
      description: z.string({ error: 'must be a string' }).nullable().optional(),
      components: z
        .array(z.string({ error: 'must be component ids' }))
        .max(200)
        .optional(),
    },
    { error: 'must be an object' },
  ),
});
const groupNames = { name: 'component_group.name', description: 'component_group.description' };

async function allComponents(deps: Deps): Promise<ComponentJson[]> {
  return (await deps.reader.components()).components;
}

async function oneComponent(deps: Deps, id: string, group: boolean): Promise<ComponentJson> {
  const found = (await allComponents(deps)).find((c) => c.id === id && c.group === group);
  if (!found) throw new NotFoundError(group ? 'component group' : 'component', id);
  return found;
}

export function componentRoutes(deps: Deps) {
  const app = new Hono<V1Env>();
  const list = async (c: V1Context) =>
    c.json((await allComponents(deps)).filter((x) => !x.group).map(componentV1));
  app.get('/components', list);
  app.get('/components.json', list);

  const create = async (c: V1Context) => {
    const { component: b } = await v1Body(c, componentBody);
    const row = await inV1Words(componentNames, () =>
      createComponent(
        deps,
        {
          name: b.name ?? '',
          description: b.description,
          groupId: b.group_id,
          status: b.status,
          showcase: b.showcase,
          onlyShowIfDegraded: b.only_show_if_degraded,
        },
        actorOf(c),
      ),
    );
    return c.json(componentV1(await oneComponent(deps, row.id, false)), 201);
  };
  app.post('/components', create);
  app.post('/components.json', create);

  app.get('/components/:id', async (c) =>
    c.json(componentV1(await oneComponent(deps, param(c, 'id'), false))),
  );

  const update = async (c: V1Context) => {
    const id = param(c, 'id');
    await oneComponent(deps, id, false);
    const { component: b } = await v1Body(c, componentBody);
    const { status, ...rest } = b;
    if (Object.values(rest).some((v) => v !== undefined))
      await inV1Words(componentNames, () =>
        updateComponent(
          deps,
          {
            componentId: id,
            name: rest.name,
            description: rest.description,
            groupId: rest.group_id,
            showcase: rest.showcase,
            onlyShowIfDegraded: rest.only_show_if_degraded,
          },
          actorOf(c),
        ),
      );
    if (status)
      await inV1Words(componentNames, () =>
        setComponentStatus(deps, { componentId: id, status }, actorOf(c)),
      );
    return c.json(componentV1(await oneComponent(deps, id, false)));
  };
  app.patch('/components/:id', update);
  app.put('/components/:id', update);

  app.delete('/components/:id', async (c) => {
    const id = param(c, 'id');
    await oneComponent(deps, id, false);
    await deleteComponent(deps, { componentId: id }, actorOf(c));
    return noContent(c);
  });
  return app;
}

export function componentGroupRoutes(deps: Deps) {
  const app = new Hono<V1Env>();
  const list = async (c: V1Context) =>
    c.json((await allComponents(deps)).filter((x) => x.group).map(componentGroupV1));
  app.get('/component-groups', list);
  app.get('/component-groups.json', list);

  /** Moves the named components into the group and the group's others out; checked first. */
  const setMembers = async (c: V1Context, groupId: string, ids: string[] | undefined) => {
    if (!ids) return;
    const all = await allComponents(deps);
    const unknown = ids.filter((id) => !all.some((x) => x.id === id && !x.group));
    if (unknown.length)
      throw new ValidationError(
        `component_group.components: no component with id ${unknown.join(', ')}`,
        {
          'component_group.components': `no component with id ${unknown.join(', ')}`,
        },
      );
    for (const x of all.filter((x) => !x.group)) {
      const inside = ids.includes(x.id);
      if (inside && x.group_id !== groupId)
        await updateComponent(deps, { componentId: x.id, groupId }, actorOf(c));
      if (!inside && x.group_id === groupId)
        await updateComponent(deps, { componentId: x.id, groupId: null }, actorOf(c));
    }
  };

  const create = async (c: V1Context) => {
    const { component_group: b } = await v1Body(c, groupBody);
    const all = await allComponents(deps);
    const unknown = (b.components ?? []).filter((id) => !all.some((x) => x.id === id && !x.group));
    if (unknown.length)
      throw new ValidationError(
        `component_group.components: no component with id ${unknown.join(', ')}`,
        {
          'component_group.components': `no component with id ${unknown.join(', ')}`,
        },
      );
    const row = await inV1Words(groupNames, () =>
      createComponent(
        deps,
        { name: b.name ?? '', description: b.description, isGroup: true },
        actorOf(c),
      ),
    );
    await setMembers(c, row.id, b.components);
    return c.json(componentGroupV1(await oneComponent(deps, row.id, true)), 201);
  };
  app.post('/component-groups', create);
  app.post('/component-groups.json', create);

  app.get('/component-groups/:id', async (c) =>
    c.json(componentGroupV1(await oneComponent(deps, param(c, 'id'), true))),
  );

  const update = async (c: V1Context) => {
    const id = param(c, 'id');
    await oneComponent(deps, id, true);
    const { component_group: b } = await v1Body(c, groupBody);
    if (b.name !== undefined || b.description !== undefined)
      await inV1Words(groupNames, () =>
        updateComponent(
          deps,
          { componentId: id, name: b.name, description: b.description },
          actorOf(c),
        ),
      );
    await setMembers(c, id, b.components);
    return c.json(componentGroupV1(await oneComponent(deps, id, true)));
  };
  app.patch('/component-groups/:id', update);
  app.put('/component-groups/:id', update);

  // Statuspage deletes a group and keeps its components, which move to the top level.
  app.delete('/component-groups/:id', async (c) => {
    const id = param(c, 'id');
    await oneComponent(deps, id, true);
    await setMembers(c, id, []);
    await deleteComponent(deps, { componentId: id }, actorOf(c));
    return noContent(c);
  });
  return app;
}
