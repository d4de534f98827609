import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { type DriftReference, parseDriftReference } from './drift-reference';
import { ManifestError, validated } from './repository-json';

export const TASKS = ['classification', 'regression', 'generic'] as const;
export type Task = (typeof TASKS)[number];

export const FEATURE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
export const LABEL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** A key of `weights`: a version number as its folder is named. */
export const VERSION_KEY_PATTERN = /^[1-9][0-9]{0,8}$/;

/** A width and height in pixels (image.content). */
export class ContentBox {
  @IsInt()
  @Min(1)
  @Max(4096)
  width!: number;

  @IsInt()
  @Min(1)
  @Max(4096)
  height!: number;
}

/** How an uploaded image becomes the model's input tensor (used by image models). */
export class ImagePreprocessing {
  @IsIn(['grayscale', 'rgb'])
  color!: 'grayscale' | 'rgb';

  @IsInt()
  @Min(1)
  @Max(4096)
  width!: number;

  @IsInt()
  @Min(1)
  @Max(4096)
  height!: number;

  @IsIn(['NCHW', 'NHWC'])
  layout!: 'NCHW' | 'NHWC';

  /** Pixels (0-255) are divided by this first. */
  @IsOptional()
  @IsNumber()
  @Min(1e-9)
  scale: number = 1;

  /** Per channel, subtracted after scaling. */
  @IsOptional()
  @IsArray()
  @IsNumber({}, { each: true })
  mean: number[] = [0];

  /** Per channel, divides after the mean is subtracted. */
  @IsOptional()
  @IsArray()
  @IsNumber({}, { each: true })
  std: number[] = [1];

  /** Whether pixels are inverted (255 - p) first, e.g. for models trained on light-on-dark digits. */
  @IsOptional()
  invert: boolean = false;

  /**
   * `as_is`: images are taken as they come (then `invert` if set). `auto`: each image's polarity is read
   * from its border (a light border means dark ink on a light background) and images whose ink is not
   * the model's `ink` are inverted, so digits drawn on paper and MNIST-style ones both reach the model right.
   */
  @IsOptional()
  @IsIn(['as_is', 'auto'])
  polarity: 'as_is' | 'auto' = 'as_is';

  /** The ink the model was trained on: `light` strokes on a dark background (MNIST), or `dark` on light. */
  @IsOptional()
  @IsIn(['light', 'dark'])
  ink: 'light' | 'dark' = 'light';

  /**
   * How the image is brought to width x height: sharp's `fill` stretches, `contain` letterboxes, `cover`
   * crops; `ink` (grayscale only) removes the background, crops to the ink, scales it to fit `content`
   * keeping its aspect ratio, and places it in the frame as `centre` says (MNIST's own preparation).
   */
  @IsOptional()
  @IsIn(['fill', 'contain', 'cover', 'ink'])
  fit: 'fill' | 'contain' | 'cover' | 'ink' = 'fill';

  /** With fit `ink`: the box the ink is scaled to fit (MNIST: 20 x 20 in 28 x 28); default 5/7 of the frame. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ContentBox)
  content?: ContentBox;

  /** With fit `ink`: the ink's box centred in the frame (`box`), or its centre of mass (`mass`, as MNIST). */
  @IsOptional()
  @IsIn(['box', 'mass'])
  centre: 'box' | 'mass' = 'box';

  /** Resampling filter of every resize (sharp's kernels); the one the training data was made with. */
  @IsOptional()
  @IsIn(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'])
  kernel: 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3' = 'lanczos3';

  /** Channel order of RGB models: `RGB`, or `BGR` (OpenCV-trained models). */
  @IsOptional()
  @IsIn(['RGB', 'BGR'])
  channel_order: 'RGB' | 'BGR' = 'RGB';
}


/** What ONNX cannot say about a version; optional `manifest.json` beside `model.onnx`. */
export class VersionManifest {
  @IsOptional()
  @IsIn(TASKS)
  task: Task = 'generic';

  @IsOptional()
  @IsString()
  description?: string;

  /** Named input features, in the column order of the model's single input. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100_000)
  @Matches(FEATURE_NAME_PATTERN, { each: true })
  features?: string[];

  /** Class labels, index = class id. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  labels?: string[];

  /** The output holding per-class scores; by default the first output whose last dimension has one entry per label. */
  @IsOptional()
  @IsString()
  scores_output?: string;

  /** Whether those scores are already probabilities or logits that need a softmax. */
  @IsOptional()
  @IsIn(['probabilities', 'logits'])
  scores: 'probabilities' | 'logits' = 'probabilities';

  @IsOptional()
  @ValidateNested()
  @Type(() => ImagePreprocessing)
  image?: ImagePreprocessing;

  /** Free-form evaluation figures (accuracy, data set...), shown to clients as they are. */
  @IsOptional()
  @IsObject()
  evaluation?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  training?: Record<string, unknown>;

  /** The training data's distribution per feature and of the predicted classes (drift-reference.ts); checked by parseManifest. */
  @IsOptional()
  @IsObject()
  drift?: DriftReference;
}

export function parseManifest(json: unknown, file: string): VersionManifest {
  const manifest = validated(VersionManifest, json, file);
  if (manifest.task === 'classification' && !manifest.labels) {
    throw new ManifestError(`${file}: a classification manifest needs "labels"`);
  }
  const image = manifest.image;
  if (image && image.mean.length !== image.std.length) {
    throw new ManifestError(`${file}: image.mean and image.std must have the same length`);
  }
  if (image?.fit === 'ink' && image.color !== 'grayscale') {
    throw new ManifestError(`${file}: image.fit "ink" needs image.color "grayscale" (ink is found in one channel)`);
  }
  if (image?.content && (image.content.width > image.width || image.content.height > image.height)) {
    throw new ManifestError(
      `${file}: image.content (${image.content.width}x${image.content.height}) must fit in the frame (${image.width}x${image.height})`,
    );
  }
  if (manifest.drift !== undefined) {
    try {
      manifest.drift = parseDriftReference((json as { drift?: unknown }).drift, manifest);
    } catch (error) {
      throw new ManifestError(`${file}: ${(error as Error).message}`);
    }
  }
  return manifest;
}
