import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what survived its last full collection, in percent, in a process
 * that loads and unloads models for a memory budget. Each loaded version holds objects until it is
 * unloaded, so they die old, and V8's default (a factor it picks between 1.1 and 4) let the garbage of
 * the unloaded ones grow the heap by about 25 MB per thousand loads before a full collection
 * (bench/many-models.mjs): memory the budget was meant to bound. 20% keeps the heap within a few MB of
 * its live size, for a full collection (incremental, mostly off the event loop) every few MB promoted.
 */
export const BUDGETED_HEAP_GROWING_PERCENT = 20;

/**
 * With a model memory budget, has V8 collect the old generation early (BUDGETED_HEAP_GROWING_PERCENT).
 * An operator's own `--heap-growing-percent` on node's command line is left in force (NODE_OPTIONS does not take it).
 * Returns whether the flag was set.
 */
export function holdHeapNearLiveSize(
  budgetBytes: number,
  commandLine: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (budgetBytes <= 0) return false;
  if (commandLine.some((argument) => /heap[-_]growing[-_]percent/.test(argument))) return false;
  setFlags(`--heap-growing-percent=${BUDGETED_HEAP_GROWING_PERCENT}`);
  return true;
}
