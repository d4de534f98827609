// Phase 1, the compute ceiling: runs ../compute-ceiling.mjs (onnxruntime-node
// directly, no HTTP) in a process of its own and meters the machine's CPU
// meanwhile. Its best single-process rows/s per model is what the service's
// rows/s are compared with.
import path from 'node:path';
import { cpuMeter } from '../cpu.mjs';
import { log } from '../log.mjs';
import { startChild, stopChild, waitForMessage } from '../processes.mjs';
import { ROOT } from '../service.mjs';
import { count } from '../table.mjs';

/** Resolves to the compute-ceiling figures per model, with the CPU used meanwhile (`cpu`). */
export async function computeCeilingPhase({ settings, results }) {
  log(`compute ceiling: onnxruntime-node ${results.machine.onnxruntimeNode} directly, batch sizes ${settings.compute.batchSizes}, intra-op threads ${settings.compute.threads}, and ${settings.compute.workers} worker threads`);
  const compute = await measure(settings.compute);
  for (const model of settings.compute.models) {
    const b = compute[model].best;
    log(`  ${model}: best ${count(b.rowsPerSec)} rows/s at batch ${b.batch}, ${b.intraOpThreads} intra-op thread(s); 2 workers: ${count(compute[model].bestParallel?.rowsPerSec)} rows/s at batch ${compute[model].bestParallel?.batch}`);
  }
  return compute;
}

async function measure(computeSettings) {
  const child = startChild(path.join(ROOT, 'bench', 'compute-ceiling.mjs'), [JSON.stringify(computeSettings)], { ipc: true, name: 'compute ceiling' });
  const meter = cpuMeter(child.child.pid);
  try {
    const settingsCount = computeSettings.batchSizes.length * (computeSettings.threads.length + 1) * computeSettings.models.length;
    const message = await waitForMessage(child, 'result', 60_000 + settingsCount * (computeSettings.seconds + 2) * 1000);
    // Other work on the machine during this phase lowers the ceiling, and so raises every ratio to it.
    return { ...message.result, cpu: meter() };
  } finally {
    await stopChild(child);
  }
}
