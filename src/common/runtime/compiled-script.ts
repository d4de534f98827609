import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The compiled JavaScript of a worker-thread script: beside the calling module when the service runs
 * compiled (`dirname` is that module's `__dirname`), else the copy in dist/ at `distPath`, which is
 * what tests running from TypeScript sources use (their setup builds it first).
 */
export function compiledScript(dirname: string, file: string, distPath: string): string {
  const beside = path.join(dirname, file);
  if (existsSync(beside)) return beside;
  const compiled = path.resolve(__dirname, '../../../dist', distPath);
  if (existsSync(compiled)) return compiled;
  throw new Error(`worker script not found (${beside}); run "npm run build" first`);
}
