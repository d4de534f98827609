import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Inference runs in worker threads, which Node starts from compiled
 * JavaScript: build dist/ once before the tests so the workers run the code
 * under test (incremental, so a build with no changes takes a moment).
 */
export default function buildForWorkers(): void {
  const root = path.resolve(__dirname, '../..');
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`TypeScript build failed, so the inference workers cannot start:\n${output}`);
  }
}
