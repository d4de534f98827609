// The run's record: everything measured, raw, as the phases fill it in; the
// lookups the report and the targets make in it; and its file,
// bench/results/<timestamp>.json (and latest.json), which BENCH_REPORT reads back.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machine } from './machine.mjs';
import { ROOT } from './service.mjs';

export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

/** An empty record for a run with these settings (saved in it as they are). */
export function createResults(settings) {
  return {
    startedAt: new Date().toISOString(),
    settings,
    machine: machine(),
    compute: undefined,
    available: {},
    cells: [],
    /** Noisier attempts of cells that were measured again. */
    discarded: [],
    /** Once per run: a gRPC cell with 1, 2, then 1 load-generator processes (phases/grpc-check.mjs). */
    generatorCheck: undefined,
    /**
     * The hand-written peer (peer-server.mjs): { processes, startupMs, rssAfterKb, scenarios }; its cells
     * are in `cells` with server 'peer'. Every cell carries `live`: GET /health/live during it (liveness.mjs).
     */
    peer: undefined,
    hostile: undefined,
    manyVersions: undefined,
    targets: [],
    notes: [],
  };
}

/** A saved run (BENCH_REPORT), as it was written by saveResults. */
export const readSavedResults = (file) => JSON.parse(readFileSync(path.resolve(file), 'utf8'));

/** The run's start time as it appears in file names. */
export const runStamp = (results) => results.startedAt.replace(/[:.]/g, '-');

export async function saveResults(results) {
  await mkdir(RESULTS_DIR, { recursive: true });
  const text = JSON.stringify(results, null, 2);
  const file = path.join(RESULTS_DIR, `${runStamp(results)}.json`);
  await writeFile(file, text);
  await writeFile(path.join(RESULTS_DIR, 'latest.json'), text);
  return file;
}

/** One servers-phase cell; `batching` undefined matches either (the HTTP ceiling has none). */
export const cellOf = (results, server, scenario, connections, batching) =>
  results.cells.find((c) => c.server === server && c.scenario === scenario && c.connections === connections && (batching === undefined || c.batching === batching));

/** The compute ceiling of a model: its best single-process rows/s. */
export const computeBest = (results, model) => results.compute?.[model]?.best?.rowsPerSec;

/** Rows per second per core the server used in a cell: what a server does with the CPU it gets. */
export const perServerCore = (cell) => cell.rowsPerSec / cell.cpu.server;
