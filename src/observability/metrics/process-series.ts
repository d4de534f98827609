import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerScrapedSeries } from './scraped-series';

/**
 * Resident memory of one server process, labelled by which one it is
 * ("primary", "1", "2", ...): with HTTP_PROCESSES > 1 every process holds its
 * own copy of the models, and the operator sizing the pod needs each share,
 * not only the sum that process_resident_memory_bytes gives across processes.
 */
function registerProcessMemory(registry: Registry, processLabel: string): void {
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'server_process_resident_memory_bytes',
      help: 'Resident memory of each server process (the primary and every HTTP process), in bytes',
      labelNames: ['process'],
    },
    (emit) => emit({ process: processLabel }, process.memoryUsage.rss()),
  );
}

/** An HTTP process's own series: prom-client's process_* and nodejs_* defaults, and its share of the pod's memory. */
export function registerProcessSeries(registry: Registry, processLabel: string): void {
  collectDefaultMetrics({ register: registry });
  registerProcessMemory(registry, processLabel);
}

/**
 * The primary's own registry, merged into every scrape of the pod: its memory only. It serves no
 * HTTP; process_* and nodejs_* come from the HTTP processes (added up across them).
 */
export function primarySeries(): Registry {
  const registry = new Registry();
  registerProcessMemory(registry, 'primary');
  return registry;
}
