import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSeq, parseDocument, visit } from 'yaml';
import { CHART_DIR, read, valuesText } from '../support/chart';

/** The chart's values are documented: a comment on every key of values.yaml, and the chart README's table generated from them. */

describe('values.yaml', () => {
  it('has a comment on (or right above) every key outside of lists', () => {
    const doc = parseDocument(valuesText);
    const lines = valuesText.split('\n');
    const lineOf = (offset: number): number => valuesText.slice(0, offset).split('\n').length - 1;
    const uncommented: string[] = [];
    visit(doc, {
      Pair(_, pair, path) {
        if (path.some((node) => isSeq(node))) return;
        const key = pair.key as { range?: [number, number, number] } | null;
        if (!key?.range) return;
        const line = lineOf(key.range[0]);
        let previous = line - 1;
        while (previous >= 0 && lines[previous].trim() === '') previous--;
        const commentAbove = previous >= 0 && lines[previous].trim().startsWith('#');
        if (!commentAbove && !/\s#\s/.test(lines[line])) uncommented.push(`${line + 1}: ${lines[line].trim()}`);
      },
    });
    expect(uncommented).toEqual([]);
  });
});

describe('chart README', () => {
  it('documents every value: its All values table is the one scripts/chart-values-table.mjs generates from values.yaml', async () => {
    const { valuesTable, withCurrentTable } = await import('../../scripts/chart-values-table.mjs');
    const table = valuesTable();
    const rows = table.split('\n').slice(2);
    // Every row has a description (a `# --` comment in values.yaml).
    expect(rows.filter((row) => row.endsWith('|  |'))).toEqual([]);
    expect(rows.length).toBeGreaterThan(140);
    const readme = read(join(CHART_DIR, 'README.md'));
    expect(withCurrentTable(readme) === readme, 'chart README out of date: run node scripts/chart-values-table.mjs --write').toBe(true);
  });
});
