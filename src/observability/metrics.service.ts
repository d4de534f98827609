import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ModelRegistry } from '../model-registry/model-registry.service';

export type PredictionOutcome = 'success' | 'invalid_input' | 'error';

/**
 * Every Prometheus series the service exports. Labels are bounded on purpose:
 * route templates (never raw URLs), status codes, and model/version only once
 * the registry has resolved them, so clients cannot mint new series.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'model_inference_duration_seconds',
    help: 'Duration of one model inference (one batch) in seconds',
    labelNames: ['model', 'version'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly predictions = new Counter({
    name: 'model_predictions_total',
    help: 'Predict requests answered by a resolved model version, by outcome',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(modelRegistry: ModelRegistry) {
    collectDefaultMetrics({ register: this.registry });
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

  recordInference(model: string, version: number, seconds: number): void {
    this.inferenceDuration.observe({ model, version: String(version) }, seconds);
  }

  recordPrediction(model: string, version: number, outcome: PredictionOutcome): void {
    this.predictions.inc({ model, version: String(version), outcome });
  }
}
