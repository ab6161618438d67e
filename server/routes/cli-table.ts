/** Rows as a plain-text table for the CLI: one line a row, columns padded, times to the minute. */
export function cliTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v instanceof Date
      ? v.toISOString().slice(0, 16).replace('T', ' ')
      : v === null || v === undefined
        ? '-'
        : String(v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join('\n');
}
