import { IsInt, IsNumber, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { LABEL_NAME_PATTERN } from './manifest';

/** Sampled requests waiting for a model's shadow, when its config does not say (`queue_size`). */
export const DEFAULT_SHADOW_QUEUE_SIZE = 64;

/**
 * A model's shadow version (`"shadow"` in config.json and in the admin API's config): a share of the
 * requests the serving version answered run again on this version once their answer has gone out,
 * and the two answers are compared (src/shadow/). Off unless configured.
 */
export class ShadowConfig {
  /**
   * The version that shadows: a number, or a label resolved at each sampled request, so a label
   * re-pointed later is followed. One that does not exist (yet) is not refused: its sampled requests
   * count as `unavailable`.
   */
  @IsVersionOrLabel()
  version!: number | string;

  /** Share of the answered requests that run on the shadow too: 0 (none) to 1 (all). */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  sample!: number;

  /** Classes compared as a set (top-k agreement); default min(3, classes - 1), so it never covers every class. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  top_k?: number;

  /** Sampled requests that may wait for the shadow; more are dropped (and counted). Default DEFAULT_SHADOW_QUEUE_SIZE. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  queue_size?: number;
}

/** The shadow in force for a model, and since when its figures count (a new config starts them again). */
export interface ShadowInForce {
  readonly config: ShadowConfig;
  readonly since: Date;
}

/**
 * The shadow in force once a config applies: the previous one (its figures and `since` kept) when
 * the shadow section means the same, else the new one from now; none for an absent or null section.
 */
export function shadowInForce(previous: ShadowInForce | undefined, next: ShadowConfig | null | undefined, now = new Date()): ShadowInForce | undefined {
  if (!next) return undefined;
  if (previous && sameShadow(previous.config, next)) return previous;
  return { config: next, since: now };
}

function sameShadow(a: ShadowConfig, b: ShadowConfig): boolean {
  return a.version === b.version && a.sample === b.sample && a.top_k === b.top_k && a.queue_size === b.queue_size;
}

function IsVersionOrLabel(): PropertyDecorator {
  return ValidateBy({
    name: 'isVersionOrLabel',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'number' && Number.isInteger(value) && value >= 1) || (typeof value === 'string' && LABEL_NAME_PATTERN.test(value)),
      defaultMessage: (args) =>
        `${args?.property} must be a version number (an integer >= 1) or a label (a letter, then letters, digits, _ . -)`,
    },
  });
}
