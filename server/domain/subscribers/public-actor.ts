import type { Actor } from '../shared/actor.ts';

/** A visitor of the public pages acting on their own subscription. */
export const publicActor: Actor = { type: 'system', id: null, label: 'visitor', role: 'system' };
