/** Who did something: recorded in the audit log with every change. */
export interface Actor {
  type: 'user' | 'token' | 'cli' | 'system';
  id: string | null;
  label: string;
  role: 'admin' | 'responder' | 'system';
}

export const systemActor: Actor = { type: 'system', id: null, label: 'Herald', role: 'system' };
