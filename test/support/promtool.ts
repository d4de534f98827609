import { spawnSync } from 'node:child_process';

/**
 * Prometheus' promtool (Debian's `prometheus` package; .ci/run installs it without starting the
 * server), for `promtool check rules`, `test rules` and `check metrics`. Specs that need it mark their
 * tests `it.skipIf(!PROMTOOL)`; with PROMTOOL_REQUIRED set (CI), a test that always runs fails instead,
 * so a missing promtool cannot pass CI by skipping.
 */

function findPromtool(): string | undefined {
  if (process.env.PROMTOOL_BIN) return process.env.PROMTOOL_BIN;
  const which = spawnSync('which', ['promtool'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

export const PROMTOOL = findPromtool();
export const PROMTOOL_REQUIRED = process.env.PROMTOOL_REQUIRED === '1';

export interface PromtoolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with the arguments, `input` on its stdin. */
export function promtool(args: string[], input?: string): PromtoolResult {
  const result = spawnSync(PROMTOOL as string, args, { encoding: 'utf8', input, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** The message of the test that always runs: which promtool was used, or why none is acceptable. */
export function promtoolPresence(): { ok: boolean; message: string } {
  if (PROMTOOL) {
    const version = promtool(['--version']);
    return { ok: version.status === 0, message: `promtool used: ${PROMTOOL} (${(version.stdout || version.stderr).split('\n')[0]})` };
  }
  if (PROMTOOL_REQUIRED) return { ok: false, message: 'PROMTOOL_REQUIRED=1 but no promtool was found: apt-get install prometheus (see .ci/run)' };
  return { ok: true, message: 'promtool not found (PROMTOOL_BIN, PATH): promtool checks SKIPPED' };
}
