import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ruleSet = require(path.join(ROOT, '.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };

/** The layering rules of .dependency-cruiser.cjs applied to the TypeScript files under `dir`/src. */
async function violationsIn(dir: string): Promise<IViolation[]> {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const { options } = ruleSet;
    const output = await cruise(['src'], {
      ...options,
      tsConfig: undefined,
      validate: true,
      ruleSet: { forbidden: ruleSet.forbidden },
    } as never);
    return (output.output as ICruiseResult).summary.violations;
  } finally {
    process.chdir(previous);
  }
}

function describeAll(violations: IViolation[]): string[] {
  return violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
}

describe('layering of src/', () => {
  it('has no import from a folder to one above it, and no files importing each other in a loop', async () => {
    expect(describeAll(await violationsIn(ROOT))).toEqual([]);
  }, 60_000);

  describe('catches a deliberate violation', () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'layering-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    function tree(files: Record<string, string>): string {
      const dir = mkdtempSync(path.join(scratch, 'tree-'));
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      }
      return dir;
    }

    it('an import from a lower folder to a higher one', async () => {
      const dir = tree({
        'src/config/app-config.ts': "import { loggedTarget } from '../prediction-log/target';\nexport const x = loggedTarget;\n",
        'src/prediction-log/target.ts': 'export const loggedTarget = 1;\n',
      });
      expect(describeAll(await violationsIn(dir))).toEqual(['layer:config: src/config/app-config.ts -> src/prediction-log/target.ts']);
    });

    it('an import between two folders of one layer', async () => {
      const dir = tree({
        'src/health/probes.ts': "import { Metrics } from '../observability/metrics';\nexport const y = Metrics;\n",
        'src/serving/runner.ts': "import { y } from '../health/probes';\nexport const z = y;\n",
        'src/observability/metrics.ts': 'export const Metrics = 1;\n',
      });
      expect(describeAll(await violationsIn(dir))).toEqual(['layer:serving: src/serving/runner.ts -> src/health/probes.ts']);
    });

    it('common/ importing any other folder, and its own folders upward', async () => {
      const dir = tree({
        'src/common/http/hardening.ts': "import type { AppConfig } from '../../config/app-config';\nexport type H = AppConfig;\n",
        'src/common/errors/error-body.ts': "import { limits } from '../validation/limits';\nexport const e = limits;\n",
        'src/common/validation/limits.ts': 'export const limits = 1;\n',
        'src/config/app-config.ts': 'export interface AppConfig { port: number }\n',
      });
      expect(describeAll(await violationsIn(dir)).sort()).toEqual([
        'layer:common-outside: src/common/http/hardening.ts -> src/config/app-config.ts',
        'layer:common/errors: src/common/errors/error-body.ts -> src/common/validation/limits.ts',
      ]);
    });

    it('a folder that has no place in the layers, and files importing each other in a loop', async () => {
      const dir = tree({
        'src/serving/a.ts': "import { b } from './b';\nimport { thing } from '../newcomer/thing';\nexport const a = () => b + thing;\n",
        'src/serving/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
        'src/newcomer/thing.ts': "import { b } from '../serving/b';\nexport const thing = 1 + b();\n",
      });
      const found = describeAll(await violationsIn(dir));
      expect(found).toContain('layer:unlisted-folder: src/serving/a.ts -> src/newcomer/thing.ts');
      expect(found).toContain('layer:unlisted-folder-imports: src/newcomer/thing.ts -> src/serving/b.ts');
      expect(found.filter((line) => line.startsWith('no-circular: src/serving/a.ts -> src/serving/b.ts'))).toHaveLength(1);
    });
  });
});
