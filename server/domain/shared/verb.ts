import type { z } from 'zod';
import type { Actor } from './actor.ts';
import { parseInput } from './parse.ts';

/** What a verb's body receives: its schema's output, parsed exactly once. */
export type Parsed<S extends z.ZodType> = z.output<S>;

/**
 * A domain verb declared with its input schema. Called with raw input (the API's JSON, a form's
 * converted strings, an importer's rows, a test's object) it parses it once, then runs its body.
 * The schema travels with it as `input`, so an operation row names only the verb and reads the
 * OpenAPI body, the CLI's fields and the form's field errors from the same schema the verb
 * parses with: nothing parses before it, and nothing can name another schema for it.
 */
export interface Verb<
  S extends z.ZodType = z.ZodType,
  D = any,
  R = any,
  X extends unknown[] = any[],
> {
  (deps: D, raw: z.input<S> | Parsed<S>, actor: Actor, ...rest: X): Promise<R>;
  readonly input: S;
}

type Body<S extends z.ZodType, D, R, X extends unknown[]> = (
  deps: D,
  input: Parsed<S>,
  actor: Actor,
  ...rest: X
) => Promise<R> | R;

// The bodies, for `runParsed` only: a body never runs on input its schema did not parse.
const bodies = new WeakMap<object, Body<any, any, any, any[]>>();

/** Declares a verb: `fn` gets the input parsed by `input`, once, before it runs. */
export function verb<S extends z.ZodType, D, R, X extends unknown[] = []>(
  input: S,
  fn: Body<S, D, R, X>,
): Verb<S, D, Awaited<R>, X> {
  // A schema imported through a cycle is still undefined here; fail at start-up, not per call.
  if (!input) throw new Error(`verb ${fn.name}: its schema is not defined yet (an import cycle?)`);
  const run = async (deps: D, raw: unknown, actor: Actor, ...rest: X) =>
    fn(deps, parseInput(input, raw), actor, ...rest);
  const declared = Object.assign(run, { input }) as Verb<S, D, Awaited<R>, X>;
  bodies.set(declared, fn);
  return declared;
}

/**
 * Runs a verb's body on input already parsed by the same schema: for a verb made of another
 * (an import that prepares, a drill that schedules), so the input is parsed once, not per step.
 */
export function runParsed<S extends z.ZodType, D, R>(
  v: Verb<S, D, R, []>,
  deps: D,
  input: Parsed<S>,
  actor: Actor,
): Promise<R> {
  const body = bodies.get(v);
  if (!body) throw new Error('runParsed: not a declared verb');
  return Promise.resolve(body(deps, input, actor) as R | Promise<R>);
}

/**
 * A verb followed by a step on what it returned (the answer an adapter shapes, which may read
 * more): one parse, the verb's own schema, the same role and existence checks.
 */
export function followedBy<S extends z.ZodType, D, R, T, D2 extends D = D>(
  first: Verb<S, D, R, []>,
  after: (deps: D2, result: R, input: Parsed<S>, actor: Actor) => Promise<T> | T,
): Verb<S, D2, Awaited<T>, []> {
  return verb(first.input, async (deps: D2, input: Parsed<S>, actor: Actor) =>
    after(deps, await runParsed(first, deps, input, actor), input, actor),
  );
}
