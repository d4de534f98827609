import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError, InvalidInputError } from '../common/domain-error';
import type { TensorMap } from '../inference/tensors';
import type { ImagePreprocessing } from '../model-registry/manifest';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import type { VersionSelector } from '../model-registry/version-selector';
import { MetricsService } from '../observability/metrics.service';
import { decodeImage, type Pixels, type UploadedImage, writePixels } from './image-preprocessing';
import { decodeInstances, decodePixelInstances, type DecodedBatch } from './instance-decoder';
import { mapPredictions, type Prediction } from './prediction-mapper';

/** Classes an image model answers when the request does not say. */
export const DEFAULT_TOP_K = 5;

export interface PredictResult {
  ready: ReadyVersion;
  predictions: Prediction[];
}

export interface PredictOptions {
  /** Answer the k best classes per instance (image models do so by default). */
  topK?: number;
}

/**
 * Runs /v1 predictions: resolves the version, turns the request into one
 * batch of input tensors (checked before anything runs), runs it and maps the
 * outputs back per instance. Records the model metrics on the way.
 */
@Injectable()
export class PredictService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  async predict(
    name: string,
    selector: VersionSelector,
    instances: readonly unknown[],
    options: PredictOptions = {},
  ): Promise<PredictResult> {
    const ready = this.registry.resolve(name, selector);
    const image = ready.manifest?.image;
    const batches = this.decode(ready, () => {
      if (instances.length > this.config.MAX_INSTANCES) {
        throw new InvalidInputError([
          `instances must contain at most ${this.config.MAX_INSTANCES} instances, got ${instances.length}`,
        ]);
      }
      return image ? [pixelBatch(ready, decodePixelInstances(instances, image), image)] : decodeInstances(instances, ready);
    });
    return this.runBatches(ready, await batches, image ? (options.topK ?? DEFAULT_TOP_K) : options.topK);
  }

  async predictImages(
    name: string,
    selector: VersionSelector,
    readImages: () => Promise<UploadedImage[]>,
    options: PredictOptions = {},
  ): Promise<PredictResult> {
    const ready = this.registry.resolve(name, selector);
    const image = ready.manifest?.image;
    if (!image) {
      throw new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `model "${ready.name}" version ${ready.version} takes JSON instances, not image uploads (its manifest has no "image" section)`,
      );
    }
    const batches = this.decode(ready, async () => {
      const images = await readImages();
      const pixels = await Promise.all(
        images.map((upload, index) => decodeImage(upload, image, this.config.MAX_IMAGE_PIXELS, `image[${index}]`)),
      );
      return [pixelBatch(ready, pixels, image)];
    });
    return this.runBatches(ready, await batches, options.topK ?? DEFAULT_TOP_K);
  }

  /** Request decoding, counted as an invalid_input outcome when the client's data does not fit. */
  private async decode(ready: ReadyVersion, decode: () => DecodedBatch[] | Promise<DecodedBatch[]>): Promise<DecodedBatch[]> {
    try {
      return await decode();
    } catch (error) {
      this.metrics.recordPrediction(ready.name, ready.version, 'invalid_input');
      throw error;
    }
  }

  private async runBatches(ready: ReadyVersion, batches: DecodedBatch[], topK: number | undefined): Promise<PredictResult> {
    try {
      const predictions: Prediction[] = [];
      for (const batch of batches) {
        predictions.push(...mapPredictions(await this.run(ready, batch.feeds), ready, topK));
      }
      this.metrics.recordPrediction(ready.name, ready.version, 'success');
      return { ready, predictions };
    } catch (error) {
      this.metrics.recordPrediction(ready.name, ready.version, 'error');
      throw error instanceof DomainError
        ? error
        : new DomainError('INFERENCE_FAILED', `inference failed for ${ready.name}/${ready.version}: ${(error as Error).message}`);
    }
  }

  private async run(ready: ReadyVersion, feeds: TensorMap): Promise<TensorMap> {
    const started = performance.now();
    const outputs = await ready.model.run(feeds);
    this.metrics.recordInference(ready.name, ready.version, (performance.now() - started) / 1000);
    return outputs;
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
