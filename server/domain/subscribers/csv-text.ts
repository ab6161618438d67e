import { ValidationError } from '../shared/errors.ts';

const SAVE_AS_UTF8 =
  'Save it as UTF-8 CSV (Excel: File → Save As → "CSV UTF-8 (Comma delimited)"; LibreOffice: Text CSV with the character set "Unicode (UTF-8)") and import it again.';

/**
 * A file refused whole: the explanation is the field's error too, since the form lists field
 * errors under a generic heading and the reader needs to know what to do with the file.
 */
export const csvRefused = (message: string) => new ValidationError(message, { csv: message });

/** Byte-order marks Herald reads, longest first; TextDecoder drops the mark itself. */
const BOMS: [number[], 'utf-8' | 'utf-16le' | 'utf-16be'][] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/**
 * An uploaded CSV file as text. A byte-order mark says the encoding (Excel's "Unicode text" is
 * UTF-16 LE with one); without one the file must be UTF-8. Anything else is refused whole:
 * read as UTF-8 it would fail row by row as "not an email address", which says nothing of why.
 */
export function csvFileText(bytes: Uint8Array): string {
  const [bom, encoding] = BOMS.find(([mark]) => mark.every((b, i) => bytes[i] === b)) ?? [
    [],
    'utf-8' as const,
  ];
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const what = bom.length
      ? `starts as ${encoding.toUpperCase()} but is not valid ${encoding.toUpperCase()} text`
      : 'is not UTF-8 text (it is probably in an older encoding such as Windows-1252 or Latin-1)';
    throw csvRefused(`The file ${what}. ${SAVE_AS_UTF8}`);
  }
}

/**
 * CSV text that carries NUL characters was decoded from UTF-16 without its byte-order mark (as
 * UTF-8, every other byte reads as NUL): refused with what to do, rather than row by row.
 */
export function refuseMisreadText(text: string): void {
  if (text.includes('\u0000'))
    throw csvRefused(
      `The file looks like UTF-16 text without a byte-order mark, which Herald cannot tell apart from other encodings. ${SAVE_AS_UTF8}`,
    );
}
