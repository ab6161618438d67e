import { z } from 'zod';
import { passwordInput } from '../auth/password.ts';
import { idInput } from '../shared/inputs.ts';
import { roleInput } from '../auth/roles.ts';

export const emailInput = z
  .string({ error: 'is required' })
  .trim()
  .toLowerCase()
  .pipe(
    z.email({ error: 'must be an email address such as pm@example.com' }).max(254, 'is too long'),
  );

export const createUserInput = z.strictObject({
  email: emailInput,
  name: z.string().trim().max(100, 'must be at most 100 characters').default(''),
  role: roleInput,
  password: passwordInput,
});
export type CreateUserInput = z.input<typeof createUserInput>;

export const updateUserInput = z.strictObject({
  userId: idInput,
  name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  role: roleInput.optional(),
  disabled: z.boolean({ error: 'must be true or false' }).optional(),
});
export type UpdateUserInput = z.input<typeof updateUserInput>;

export const setPasswordInput = z.strictObject({
  userId: idInput,
  password: passwordInput,
});
