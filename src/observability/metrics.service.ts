import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { InferenceMetrics } from './inference-metrics';

export type PredictionOutcome = 'success' | 'invalid_input' | 'rejected' | 'error';

/**
 * The HTTP and per-request series, beside the inference series of
 * InferenceMetrics in the same Prometheus registry. Labels are bounded on
 * purpose: route templates (never raw URLs), status codes, and model/version
 * only once the registry has resolved them, so clients cannot mint new series.
 */
@Injectable()
export class MetricsService {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly predictions: Counter<'model' | 'version' | 'outcome'>;

  constructor(modelRegistry: ModelRegistry, inferenceMetrics: InferenceMetrics) {
    this.registry = inferenceMetrics.registry;
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.predictions = new Counter({
      name: 'model_predictions_total',
      help: 'Requests answered by a resolved model version, by outcome',
      labelNames: ['model', 'version', 'outcome'] as const,
      registers: [this.registry],
    });
    new Gauge({
      name: 'model_version_ready',
      help: '1 when the model version is READY to serve, else 0',
      labelNames: ['model', 'version'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of modelRegistry.list()) {
          for (const status of model.versions) {
            this.set({ model: model.name, version: String(status.version) }, status.state === 'READY' ? 1 : 0);
          }
        }
      },
    });
  }

  recordPrediction(model: string, version: number, outcome: PredictionOutcome): void {
    this.predictions.inc({ model, version: String(version), outcome });
  }
}
