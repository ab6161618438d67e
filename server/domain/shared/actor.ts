import { ForbiddenError } from './errors.ts';

/** Who did something: recorded in the audit log with every change. */
export interface Actor {
  type: 'user' | 'token' | 'cli' | 'system';
  id: string | null;
  label: string;
  /** `visitor`: someone on the public pages acting on their own subscription; no admin rights. */
  role: 'admin' | 'responder' | 'system' | 'visitor';
}

export const systemActor: Actor = { type: 'system', id: null, label: 'Herald', role: 'system' };

export type Role = 'admin' | 'responder';

/** admin can do everything a responder can; Herald itself (system) can do everything. */
export function hasRole(actor: Pick<Actor, 'role'>, role: Role): boolean {
  if (actor.role === 'system' || actor.role === 'admin') return true;
  return role === 'responder' && actor.role === 'responder';
}

/**
 * Role check inside domain verbs, so the form, the API and the CLI cannot disagree about who
 * may do what.
 */
export function assertRole(actor: Actor, role: Role): void {
  if (!hasRole(actor, role)) {
    throw new ForbiddenError(
      role === 'admin' ? 'Only an admin can do this.' : 'You are not allowed to do this.',
    );
  }
}
