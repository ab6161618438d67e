import type en from './messages/en.ts';

export type MessageKey = keyof typeof en;
/** A language's catalogue: every English key, nothing else (the type checker holds it). */
export type Catalogue = Record<MessageKey, string>;
