import {
  createComponent,
  type CreateComponentInput,
} from '../../server/domain/components/create-component.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import type { DeclareIncidentInput } from '../../server/domain/incidents/inputs.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import type { DomainDeps } from '../../server/domain/shared/deps.ts';
import { createUser } from '../../server/domain/users/create-user.ts';
import { testActor } from './deps.ts';

let n = 0;

export function makeComponent(deps: DomainDeps, input: Partial<CreateComponentInput> = {}) {
  n += 1;
  return createComponent(deps, { name: `Component ${n}`, ...input }, testActor);
}

export function makeIncident(deps: DomainDeps, input: Partial<DeclareIncidentInput> = {}) {
  n += 1;
  return declareIncident(
    deps,
    { title: `Incident ${n}`, priority: 1, body: `Body ${n}`, ...input },
    testActor,
  );
}

/** A user made through createUser, and the actor that user acts as. */
export async function makeUserActor(
  deps: DomainDeps,
  email: string,
  role: 'admin' | 'responder' = 'responder',
): Promise<Actor> {
  const u = await createUser(
    deps,
    { email, name: email.split('@')[0], role, password: 'correct horse battery' },
    testActor,
  );
  return { type: 'user', id: u.id, label: u.email, role };
}
