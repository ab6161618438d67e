import type { Actor } from '../shared/actor.ts';

/**
 * A visitor of the public pages acting on their own subscription. Audited as Herald acting for
 * them (type system), but with the visitor role, so no role check ever lets it through.
 */
export const publicActor: Actor = { type: 'system', id: null, label: 'visitor', role: 'visitor' };
