/**
 * Who may read a text. Every stored text has one: `public` (anyone), a named audience (its
 * members, by slug) or `internal` (staff). A renderer renders for one reader's audience.
 */
export type Audience =
  | { readonly kind: 'public' }
  | { readonly kind: 'named'; readonly slug: string }
  | { readonly kind: 'internal' };

export type AudienceKind = Audience['kind'];

export const PUBLIC: Audience = Object.freeze({ kind: 'public' });
export const INTERNAL: Audience = Object.freeze({ kind: 'internal' });

declare const audienceMark: unique symbol;

/**
 * A text tagged with the audience it was written for. The tag exists only for the compiler: a
 * `TextFor<'internal'>` is not assignable to `TextFor<'public'>`, so a public renderer that takes
 * `PublicText` cannot be handed internal text without a cast at the place that reads it.
 */
export type TextFor<K extends AudienceKind> = string & { readonly [audienceMark]: K };
export type PublicText = TextFor<'public'>;
export type InternalText = TextFor<'internal'>;

/**
 * Tags text read from a public column. Only read paths that select public columns call it
 * (test/unit/audience-boundary.test.ts lists where internal columns may be read).
 */
export const publicText = (s: string): PublicText => s as PublicText;
/** Tags text read from an internal column; only staff-facing reads call it. */
export const internalText = (s: string): InternalText => s as InternalText;

/** Whether a reader of `reader` may read text written for `text`. Staff read everything. */
export function mayRead(reader: Audience, text: Audience): boolean {
  if (text.kind === 'public') return true;
  if (reader.kind === 'internal') return true;
  return text.kind === 'named' && reader.kind === 'named' && reader.slug === text.slug;
}
