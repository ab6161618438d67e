import { IntlMessageFormat } from 'intl-messageformat';
import en from './messages/en.ts';
import de from './messages/de.ts';
import fr from './messages/fr.ts';
import es from './messages/es.ts';
import ptBR from './messages/pt-BR.ts';
import it from './messages/it.ts';
import nl from './messages/nl.ts';
import ja from './messages/ja.ts';
import zhCN from './messages/zh-CN.ts';
import ar from './messages/ar.ts';
import { DEFAULT_LANGUAGE, type Language, directionOf } from './languages.ts';

import type { Catalogue, MessageKey } from './message-key.ts';

export type { Catalogue, MessageKey };

export const catalogues: Record<Language, Catalogue> = {
  en,
  de,
  fr,
  es,
  'pt-BR': ptBR,
  it,
  nl,
  ja,
  'zh-CN': zhCN,
  ar,
};

export type MessageValues = Record<string, string | number>;
export type MessagePart = { text: string } | { slot: string };

/** What a renderer needs to speak one reader's language: messages, then names and lists. */
export interface Translator {
  lang: Language;
  dir: 'ltr' | 'rtl';
  t(key: MessageKey, values?: MessageValues): string;
  /**
   * The text before and after one variable, for a message whose variable is markup (a
   * `<time>` or a link): each language keeps its own word order around it.
   */
  around(key: MessageKey, slot: string, values?: MessageValues): [string, string];
  /**
   * A message with several markup variables, as text and slots in this language's order:
   * `parts('common.range', ['start', 'end'])` is `[{slot:'start'}, {text:' to '}, {slot:'end'}]`
   * in English and may put them otherwise elsewhere.
   */
  parts(key: MessageKey, slots: readonly string[], values?: MessageValues): MessagePart[];
  /** "A, B and C" in the reader's language. */
  list(items: readonly string[]): string;
  /**
   * The same list for items that are markup (a name with its status word): the item indexes
   * and the words between them, in this language's order and punctuation ("、", " و").
   */
  listParts(count: number): ({ item: number } | { text: string })[];
  /** A language's name in the reader's language ("Englisch" for a German reader). */
  languageName(tag: string): string;
}

// A character no message or value contains, marking where a slot goes.
const SLOT = '\u{E000}';

const compiled = new Map<string, IntlMessageFormat>();
function compile(lang: Language, key: MessageKey): IntlMessageFormat {
  const id = `${lang}\u0000${key}`;
  let f = compiled.get(id);
  if (!f) {
    f = new IntlMessageFormat(catalogues[lang][key], lang, undefined, { ignoreTag: true });
    compiled.set(id, f);
  }
  return f;
}

const translators = new Map<Language, Translator>();

export function translatorFor(lang: Language = DEFAULT_LANGUAGE): Translator {
  let tr = translators.get(lang);
  if (tr) return tr;
  const lists = new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' });
  const names = new Intl.DisplayNames([lang], { type: 'language' });
  const t = (key: MessageKey, values?: MessageValues) => String(compile(lang, key).format(values));
  tr = {
    lang,
    dir: directionOf(lang),
    t,
    around(key, slot, values) {
      const text = t(key, { ...values, [slot]: SLOT });
      const at = text.indexOf(SLOT);
      return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + SLOT.length)];
    },
    parts(key, slots, values) {
      const marks: MessageValues = {};
      slots.forEach((name, i) => (marks[name] = `${SLOT}${i}${SLOT}`));
      const text = t(key, { ...values, ...marks });
      const out: MessagePart[] = [];
      text.split(SLOT).forEach((piece, i) => {
        if (i % 2 === 1) out.push({ slot: slots[Number(piece)]! });
        else if (piece) out.push({ text: piece });
      });
      return out;
    },
    list: (items) => lists.format(items),
    listParts: (count) => {
      const marks = Array.from({ length: count }, (_, i) => `${SLOT}${i}${SLOT}`);
      return lists
        .format(marks)
        .split(SLOT)
        .flatMap((piece, i): ({ item: number } | { text: string })[] =>
          i % 2 === 1 ? [{ item: Number(piece) }] : piece ? [{ text: piece }] : [],
        );
    },
    languageName: (tag) => names.of(tag) ?? tag,
  };
  translators.set(lang, tr);
  return tr;
}
