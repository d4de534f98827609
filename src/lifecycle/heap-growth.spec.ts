import { describe, expect, it } from 'vitest';
import { BUDGETED_HEAP_GROWING_PERCENT, holdHeapNearLiveSize } from './heap-growth';

describe('the heap of a process with a model memory budget', () => {
  const flagsSet = (budgetBytes: number, commandLine: string[]) => {
    const set: string[] = [];
    holdHeapNearLiveSize(budgetBytes, commandLine, (flags) => set.push(flags));
    return set;
  };

  it('is collected early when a budget is set', () => {
    expect(flagsSet(64 * 1024 ** 2, ['--enable-source-maps'])).toEqual([`--heap-growing-percent=${BUDGETED_HEAP_GROWING_PERCENT}`]);
  });

  it("keeps V8's default without a budget", () => {
    expect(flagsSet(0, [])).toEqual([]);
  });

  it("leaves an operator's own growing factor on node's command line in force", () => {
    expect(flagsSet(1e8, ['--max-old-space-size=512', '--heap-growing-percent=50'])).toEqual([]);
    expect(flagsSet(1e8, ['--heap_growing_percent=10'])).toEqual([]);
  });
});
