import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Inference runs in worker threads, which Node starts from compiled
 * JavaScript: build dist/ once before the tests so the workers run the code
 * under test (incremental, so a build with no changes takes a moment).
 * The playground page (/ui) is served from ui/dist, which esbuild bundles
 * from ui/src: it is built too when it is missing or older than its sources.
 */
export default function buildForTests(): void {
  run('TypeScript build failed, so the inference workers cannot start', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  run('The playground (ui/src) could not be bundled', [path.join(root, 'scripts/build-ui.mjs'), '--if-stale']);
}

function run(failure: string, args: string[]): void {
  try {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`${failure}:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
  }
}
