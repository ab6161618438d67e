import { z } from 'zod';
import { tokenRoles, userRoles } from '../../../db/schema/index.ts';
import { either } from '../shared/inputs.ts';

/** A role as an admin names it for a user or an API token. */
export const roleInput = z.enum(userRoles, { error: `must be ${either(userRoles)}` });

/** A role for an API token: a user's role, or `intake` (posts alerts, nothing else). */
export const tokenRoleInput = z.enum(tokenRoles, { error: `must be ${either(tokenRoles)}` });
