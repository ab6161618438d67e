import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type MessageFormatElement, TYPE, parse } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { catalogues, translatorFor } from '../../server/i18n/catalogue.ts';
import { LANGUAGE_TAGS } from '../../server/i18n/languages.ts';

/** Every variable a message uses, with its kind: `page:argument`, `priority:select`, ... */
function variablesOf(message: string): string[] {
  const found = new Set<string>();
  const walk = (els: MessageFormatElement[]) => {
    for (const el of els) {
      if (el.type === TYPE.literal || el.type === TYPE.pound) continue;
      found.add(`${el.value}:${TYPE[el.type]}`);
      if (el.type === TYPE.select || el.type === TYPE.plural)
        for (const o of Object.values(el.options)) walk(o.value);
      if (el.type === TYPE.tag) walk(el.children);
    }
  };
  walk(parse(message, { ignoreTag: true }));
  return [...found].sort();
}

/** The select options a message offers per variable, so no language drops a case. */
function selectCasesOf(message: string): string[] {
  const out: string[] = [];
  const walk = (els: MessageFormatElement[]) => {
    for (const el of els)
      if (el.type === TYPE.select) {
        out.push(`${el.value}:${Object.keys(el.options).sort().join('|')}`);
        for (const o of Object.values(el.options)) walk(o.value);
      }
  };
  walk(parse(message, { ignoreTag: true }));
  return out.sort();
}

/** What is wrong with one catalogue measured against English; empty when nothing is. */
function catalogueProblems(english: Record<string, string>, other: Record<string, string>) {
  const problems: string[] = [];
  for (const key of Object.keys(english)) if (!(key in other)) problems.push(`missing ${key}`);
  for (const key of Object.keys(other)) {
    if (!(key in english)) {
      problems.push(`unknown ${key}`);
      continue;
    }
    let vars: string[];
    try {
      vars = variablesOf(other[key]!);
    } catch (err) {
      problems.push(`${key} does not parse: ${String(err)}`);
      continue;
    }
    const want = variablesOf(english[key]!);
    if (vars.join() !== want.join())
      problems.push(`${key} has variables ${vars.join(', ')}; English has ${want.join(', ')}`);
    const cases = selectCasesOf(other[key]!);
    const wantCases = selectCasesOf(english[key]!);
    if (cases.join() !== wantCases.join())
      problems.push(`${key} selects ${cases.join(', ')}; English selects ${wantCases.join(', ')}`);
  }
  return problems;
}

describe('message catalogues', () => {
  const english = catalogues.en as Record<string, string>;

  it('has one file per language beside the code, and every language loaded', () => {
    const dir = fileURLToPath(new URL('../../server/i18n/messages/', import.meta.url));
    const files = readdirSync(dir)
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(files).toEqual([...LANGUAGE_TAGS].sort());
    expect(Object.keys(catalogues).sort()).toEqual([...LANGUAGE_TAGS].sort());
    expect(LANGUAGE_TAGS).toHaveLength(10);
  });

  for (const lang of LANGUAGE_TAGS) {
    it(`${lang} has exactly English's keys with English's variables`, () => {
      expect(catalogueProblems(english, catalogues[lang] as Record<string, string>)).toEqual([]);
    });
  }

  it('the check fails on a missing key, an extra key, a renamed variable and a dropped case', () => {
    const broken = { ...(catalogues.de as Record<string, string>) };
    delete broken['home.subscribe'];
    broken['home.extra'] = 'Extra';
    broken['layout.title'] = '{name} Status';
    broken['priority.meaning'] = '{priority, select, 0 {Alles} other {Später}}';
    expect(catalogueProblems(english, broken)).toEqual([
      'missing home.subscribe',
      'layout.title has variables name:argument; English has page:argument',
      'priority.meaning selects priority:0|other; English selects priority:0|1|2|other',
      'unknown home.extra',
    ]);
  });

  it('no translation is left in English by mistake (beyond names and shared words)', () => {
    // Words that are the same in a language on purpose: product names and loan words.
    const shared =
      /^(Status|Details|Update|Updates|Maintenance|Incident|JSON API|Post-mortem|Powered by Herald|\{page\} Status|Page \{page\} of \{count\}|status|Uptime|Status: \{status\}|Details: \{url\}|JSON \(Statuspage v2\))$/;
    // Messages that are only variables and punctuation ("{date}: {summary}") have no words.
    const wordless = (v: string) => !/\p{L}/u.test(v.replace(/\{\w+\}/g, ''));
    for (const lang of LANGUAGE_TAGS) {
      if (lang === 'en') continue;
      const same = Object.entries(catalogues[lang]).filter(
        ([k, v]) => v === english[k] && !shared.test(v) && !wordless(v),
      );
      expect(same.map(([k]) => `${lang} ${k}`)).toEqual([]);
    }
  });

  it('formats variables, selects and slots in the reader language', () => {
    const de = translatorFor('de');
    expect(de.t('layout.title', { page: 'Acme' })).toBe('Acme Status');
    expect(de.t('priority.meaning', { priority: 0 })).toBe('Alles stehen und liegen lassen');
    expect(translatorFor('ja').around('incident.since', 'time')).toEqual(['', ' から']);
    expect(translatorFor('ar').dir).toBe('rtl');
    expect(de.list(['A', 'B', 'C'])).toBe('A, B und C');
    expect(de.t('common.inLanguage', { language: de.languageName('en') })).toBe(
      'Verfasst auf Englisch',
    );
  });
});
