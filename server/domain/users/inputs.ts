import { z } from 'zod';
import { userRoles } from '../../../db/schema/index.ts';
import { passwordInput } from '../auth/password.ts';

export const emailInput = z
  .string({ error: 'is required' })
  .trim()
  .toLowerCase()
  .pipe(
    z.email({ error: 'must be an email address such as pm@example.com' }).max(254, 'is too long'),
  );

export const roleInput = z.enum(userRoles, { error: 'must be admin, responder or viewer' });

export const createUserInput = z.object({
  email: emailInput,
  name: z.string().trim().max(100, 'must be at most 100 characters').default(''),
  role: roleInput,
  password: passwordInput,
});
export type CreateUserInput = z.input<typeof createUserInput>;

export const updateUserInput = z.object({
  userId: z.string().min(1),
  name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  role: roleInput.optional(),
  disabled: z.boolean().optional(),
});
export type UpdateUserInput = z.input<typeof updateUserInput>;

export const setPasswordInput = z.object({
  userId: z.string().min(1),
  password: passwordInput,
});
