import { ForbiddenError } from './errors.ts';

/** Who did something: recorded in the audit log with every change. */
export interface Actor {
  type: 'user' | 'token' | 'cli' | 'system';
  id: string | null;
  label: string;
  /**
   * `visitor`: someone on the public pages acting on their own subscription; no admin rights.
   * `intake`: a monitoring system's token; it posts alerts and can do nothing else.
   */
  role: 'admin' | 'responder' | 'viewer' | 'system' | 'visitor' | 'intake';
}

export const systemActor: Actor = { type: 'system', id: null, label: 'Herald', role: 'system' };

export type Role = 'admin' | 'responder' | 'viewer';

const rank: Record<Actor['role'], number> = {
  intake: 0,
  visitor: 0,
  viewer: 1,
  responder: 2,
  admin: 3,
  system: 4,
};

/**
 * admin can do everything a responder can, a responder everything a viewer can; Herald itself
 * (system) can do everything.
 */
export function hasRole(actor: Pick<Actor, 'role'>, role: Role): boolean {
  return rank[actor.role] >= rank[role];
}

/** What a viewer may write: their own reports and their own password, nothing else. */
export const viewerActions: readonly string[] = ['report.file', 'user.change_own_password'];

/**
 * Every write records an audit entry in its transaction; refusing a viewer's there keeps the
 * read-only role read-only in every verb, including those that check no role themselves.
 */
export function assertMayWrite(actor: Pick<Actor, 'role'>, action: string): void {
  if (actor.role === 'viewer' && !viewerActions.includes(action))
    throw new ForbiddenError('Viewers can read and file reports; they cannot change anything.');
}

/**
 * Role check inside domain verbs, so the form, the API and the CLI cannot disagree about who
 * may do what.
 */
export function assertRole(actor: Actor, role: Role): void {
  if (!hasRole(actor, role)) {
    throw new ForbiddenError(
      role === 'admin'
        ? 'Only an admin can do this.'
        : role === 'responder'
          ? 'Viewers can read and file reports; they cannot change anything.'
          : 'You are not allowed to do this.',
    );
  }
}
