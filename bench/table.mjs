// Plain-text tables, aligned, for a terminal or a CI log: no colours, no
// box-drawing characters, so they paste into an issue as they are.

/**
 * @param {string[]} headers
 * @param {Array<Array<string|number>>} rows
 * @param {string[]} [align] 'l' or 'r' per column (default: first column left, others right)
 */
export function formatTable(headers, rows, align) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell ?? '')));
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => row[c]?.length ?? 0)));
  const side = (c) => align?.[c] ?? (c === 0 ? 'l' : 'r');
  const line = (row) =>
    row
      .map((cell, c) => (side(c) === 'l' ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Thousands separated, no decimals: 12345.6 -> "12,346". */
export function count(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function ms(value) {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A ratio as a percentage: 0.734 -> "73%"; very small ratios keep a decimal. */
export function ratio(value) {
  if (!Number.isFinite(value)) return 'n/a';
  const pct = value * 100;
  return pct >= 10 ? `${pct.toFixed(0)}%` : pct >= 0.1 ? `${pct.toFixed(1)}%` : `${pct.toFixed(3)}%`;
}

export function mb(kb) {
  return Number.isFinite(kb) ? (kb / 1024).toFixed(1) : 'n/a';
}
