import { Gauge, type Registry } from 'prom-client';

/**
 * Resident memory of one server process, labelled by which one it is
 * ("primary", "1", "2", ...): with HTTP_PROCESSES > 1 every process holds its
 * own copy of the models, and the operator sizing the pod needs each share,
 * not only the sum that process_resident_memory_bytes gives across processes.
 */
export function registerProcessMemoryGauge(registry: Registry, processLabel: string): void {
  new Gauge({
    name: 'server_process_resident_memory_bytes',
    help: 'Resident memory of each server process (the primary and every HTTP process), in bytes',
    labelNames: ['process'] as const,
    registers: [registry],
    collect() {
      this.set({ process: processLabel }, process.memoryUsage.rss());
    },
  });
}
