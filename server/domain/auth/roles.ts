import { z } from 'zod';
import { userRoles } from '../../../db/schema/index.ts';

/** A role as an admin names it for a user or an API token. */
export const roleInput = z.enum(userRoles, { error: 'must be admin, responder or viewer' });
