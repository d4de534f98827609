import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError, InvalidInputError } from '../common/errors/domain-error';
import { abandonedBecause } from '../inference/engine-contracts';
import type { ImagePreprocessing } from '../model-registry/manifest';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import type { VersionSelector } from '../model-registry/requested-version';
import { deadlineOf } from '../request-context/deadline';
import type { RequestContext } from '../request-context/request-context';
import { ModelRunner } from '../serving/model-runner';
import type { PredictResponseDto } from './dto/predict.dto';
import { decodeImage, type Pixels, prepareJsonPixels, writePixels } from './image-preprocessing';
import { decodeInstances, decodePixelInstances, type DecodedBatch } from './instance-decoder';
import type { ImageUploads } from './multipart-images';
import type { PredictInput } from './predict-params';
import { mapPredictions, mapPredictResponse, type Prediction } from './prediction-mapper';

/** Classes an image model answers when the request does not say. */
export const DEFAULT_TOP_K = 5;

export interface PredictOptions {
  /** Answer the k best classes per instance (image models do so by default). */
  topK?: number;
  /** The caller's own deadline (X-Request-Timeout-Ms), epoch ms; QUEUE_TIMEOUT_MS bounds it. */
  callerDeadline?: number;
  /** The request's context: its deadline and cancellation, and where its outcome goes. */
  context: RequestContext;
}

/**
 * Runs /v1 predictions: resolves the version, turns the request into one
 * batch of input tensors (checked before anything runs), runs it and maps the
 * outputs back per instance.
 */
@Injectable()
export class PredictService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly runner: ModelRunner,
    private readonly config: AppConfig,
  ) {}

  /**
   * Answers a predict request, JSON instances or uploaded images alike. Its
   * deadline is the earlier of QUEUE_TIMEOUT_MS from now and the caller's own,
   * as on every protocol (deadlineOf).
   */
  predict(name: string, selector: VersionSelector, input: PredictInput, options: PredictOptions): Promise<PredictResponseDto> {
    options.context.deadline = deadlineOf(this.config.QUEUE_TIMEOUT_MS, options.callerDeadline);
    return typeof input === 'function'
      ? this.predictImages(name, selector, input, options)
      : this.predictInstances(name, selector, input, options);
  }

  private async predictInstances(
    name: string,
    selector: VersionSelector,
    instances: readonly unknown[],
    options: PredictOptions,
  ): Promise<PredictResponseDto> {
    const acquired = this.registry.acquire(name, selector, options.context.deadline);
    // A READY version comes back as it is: no promise to wait for on the common path.
    const ready = acquired instanceof Promise ? await acquired : acquired;
    const image = ready.manifest?.image;
    return this.runner.track(ready, async () => {
      if (instances.length > this.config.MAX_INSTANCES) {
        throw new InvalidInputError([
          `instances must contain at most ${this.config.MAX_INSTANCES} instances, got ${instances.length}`,
        ]);
      }
      const batches = image
        ? [pixelBatch(ready, await prepareJsonPixels(decodePixelInstances(instances, image), image), image)]
        : decodeInstances(instances, ready);
      return this.runBatches(ready, batches, image ? (options.topK ?? DEFAULT_TOP_K) : options.topK, options.context);
    }, options.context);
  }

  private async predictImages(
    name: string,
    selector: VersionSelector,
    uploads: ImageUploads,
    options: PredictOptions,
  ): Promise<PredictResponseDto> {
    const acquired = this.registry.acquire(name, selector, options.context.deadline);
    const ready = acquired instanceof Promise ? await acquired : acquired;
    const image = ready.manifest?.image;
    if (!image) {
      throw new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `model "${ready.name}" version ${ready.version} takes JSON instances, not image uploads (its manifest has no "image" section)`,
      );
    }
    return this.runner.track(ready, async () => {
      const images = await uploads(this.config.MAX_UPLOAD_TOTAL_BYTES);
      // One after the other (sharp spreads each decode over its own threads), so that the decoding of a
      // request whose client has gone, or whose deadline passed, stops at the next image.
      const pixels: Pixels[] = [];
      for (const [index, upload] of images.entries()) {
        const abandoned = abandonedBecause(options.context);
        if (abandoned) throw new DomainError('OVERLOADED', `${abandoned} before model ${ready.name}/${ready.version} could decode every image`);
        pixels.push(await decodeImage(upload, image, this.config.MAX_IMAGE_PIXELS, `image[${index}]`));
      }
      return this.runBatches(ready, [pixelBatch(ready, pixels, image)], options.topK ?? DEFAULT_TOP_K, options.context);
    }, options.context);
  }

  private async runBatches(
    ready: ReadyVersion,
    batches: DecodedBatch[],
    topK: number | undefined,
    context: RequestContext,
  ): Promise<PredictResponseDto> {
    const predictions: Prediction[] = [];
    for (const batch of batches) {
      predictions.push(...mapPredictions(await this.runner.run(ready, batch.feeds, undefined, context), ready, topK));
    }
    return mapPredictResponse(ready, predictions);
  }
}

/** All images of a request as one float32 batch in the model's layout. */
function pixelBatch(ready: ReadyVersion, images: readonly Pixels[], pre: ImagePreprocessing): DecodedBatch {
  const channels = images[0]?.channels ?? 1;
  const perImage = pre.width * pre.height * channels;
  const data = new Float32Array(perImage * images.length);
  images.forEach((pixels, row) => writePixels(data, row, pixels, pre));
  const dims =
    pre.layout === 'NCHW'
      ? [images.length, channels, pre.height, pre.width]
      : [images.length, pre.height, pre.width, channels];
  return { rows: images.length, feeds: { [ready.model.inputs[0].name]: { type: 'float32', dims, data } } };
}
