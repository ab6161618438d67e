import { createUser } from '../../server/domain/users/create-user.ts';
import type { DomainDeps } from '../../server/domain/shared/deps.ts';
import { testActor } from '../helpers/deps.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';

let n = 0;

/** A real user (action items are owned by users), and the actor they act as. */
export async function makeUser(
  deps: DomainDeps,
  name: string,
  role: 'admin' | 'responder' = 'responder',
) {
  n += 1;
  const user = await createUser(
    deps,
    {
      email: `${name.toLowerCase()}${n}@acme.com`,
      name,
      role,
      password: 'correct horse battery staple',
    },
    testActor,
  );
  const actor: Actor = { type: 'user', id: user.id, label: user.email, role };
  return { ...user, actor };
}
