import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { RequestLimitSettings } from './request-limit-settings';

export const MODEL_LOADING_MODES = ['eager', 'lazy'] as const;
export type ModelLoadingMode = (typeof MODEL_LOADING_MODES)[number];

/** Where models come from and how they run: repository, polling, workers, batching, queues, drift. Part of AppConfig. */
export class ModelSettings extends RequestLimitSettings {
  @IsString()
  @IsNotEmpty()
  MODELS_DIR: string = './models';

  /** Directory of <model>.json model configs read in place of models/<model>/config.json; empty = beside the models. */
  @IsString()
  MODEL_CONFIG_DIR: string = '';

  /**
   * Models that must serve for /health/ready, comma-separated; empty = those present at start whose default
   * version loaded (so not one whose config.json was refused at start: it never blocks readiness unless named).
   */
  @Matches(/^([A-Za-z0-9][A-Za-z0-9_.-]{0,127}(,[A-Za-z0-9][A-Za-z0-9_.-]{0,127})*)?$/, {
    message: 'REQUIRED_MODELS must be model names separated by commas (or empty)',
  })
  REQUIRED_MODELS: string = '';

  /**
   * `eager`: every version found is loaded at start and when found later. `lazy`: only the versions of
   * REQUIRED_MODELS are; the others are listed AVAILABLE and loaded by their first request (thousands of
   * models per pod, within MODEL_MEMORY_BUDGET_BYTES).
   */
  @IsIn(MODEL_LOADING_MODES, { message: `MODEL_LOADING must be one of: ${MODEL_LOADING_MODES.join(', ')}` })
  MODEL_LOADING: ModelLoadingMode = 'eager';

  /**
   * How long a request for a version not loaded yet waits for its load, in ms (never past the request's own
   * deadline); then 503 with Retry-After while the load goes on. 0 = answer 503 at once.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  MODEL_LOAD_WAIT_MS: number = 10_000;

  /**
   * The pod's memory for loaded models, in bytes, split evenly among HTTP_PROCESSES (each holds its own
   * sessions); past it the least recently used versions are unloaded back to AVAILABLE. 0 = no budget.
   * Estimated per version (docs/model-repository.md); needs MODEL_LOADING=lazy.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @ValidateBy({
    name: 'budgetNeedsLazyLoading',
    validator: {
      // Refused rather than ignored: an operator who sets a budget expects it kept, and eager mode never unloads.
      validate: (value: unknown, args) => value === 0 || (args?.object as ModelSettings).MODEL_LOADING === 'lazy',
      defaultMessage: () =>
        'MODEL_MEMORY_BUDGET_BYTES needs MODEL_LOADING=lazy: in eager mode every version found stays loaded, so no budget can be kept',
    },
  })
  MODEL_MEMORY_BUDGET_BYTES: number = 0;

  /** How often MODELS_DIR is rescanned for new, changed and removed versions, in ms; 0 turns watching off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  MODEL_POLL_INTERVAL_MS: number = 2000;

  /** How long new or changed model files must stay unchanged before they are loaded, in ms (half-copied files are not). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  MODEL_SETTLE_MS: number = 2000;

  /** Worker threads running inference in the whole pod (shared among HTTP_PROCESSES, at least 1 each); 0 runs inference on the event loop. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  INFERENCE_WORKERS: number = 2;

  /**
   * A model whose full batch (MAX_BATCH_SIZE rows) runs within this many µs runs on the event loop of each
   * HTTP process, not in workers; 0 = never. It is also the longest one batch holds an event loop.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  INLINE_INFERENCE_MAX_US: number = 8000;

  /** Merge concurrent requests to one version into one inference (per model: config.json "batching"). */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'BATCHING_ENABLED must be true or false' })
  BATCHING_ENABLED: boolean = true;

  /** Most instances one batched inference carries. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_BATCH_SIZE: number = 32;

  /** How long (µs) a request may wait for others to join its batch; 0 = batch only what is already queued. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  MAX_QUEUE_DELAY_US: number = 0;

  /** Most instances queued per version; more is refused at once with 503 and Retry-After. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MAX_QUEUE_SIZE: number = 2048;

  /** Inference queued longer than this (ms) is dropped with 503 (a request may lower it with X-Request-Timeout-Ms); 0 = no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  QUEUE_TIMEOUT_MS: number = 30_000;

  /** onnxruntime threads inside one operator, per session. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTRA_OP_THREADS: number = 1;

  /** onnxruntime threads across independent operators, per session. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INTER_OP_THREADS: number = 1;

  /** Watch each version's inputs and predictions against its manifest's drift reference (GET /v1/models/{name}/drift, *_drift_psi series). */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'DRIFT_ENABLED must be true or false' })
  DRIFT_ENABLED: boolean = true;
}
