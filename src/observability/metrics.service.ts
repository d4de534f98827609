import { Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { ServerProcess } from '../cluster/server-process';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { MetricsRegistry } from './metrics-registry';
import { HttpSeries } from './metrics/http-series';
import { registerModelMemorySeries } from './metrics/model-load-series';
import { registerModelStateSeries } from './metrics/model-state-series';
import { registerProcessSeries } from './metrics/process-series';
import { ServingSeries } from './metrics/serving-series';

/**
 * The series every HTTP process has, whatever features are on: the process's
 * own, HTTP's, serving's and the model repository's state, registered in the
 * MetricsRegistry. The request path records through
 * `http` (http-request-records.ts, the connection backpressure) and `serving`
 * (serving/model-runner.ts).
 */
@Injectable()
export class MetricsService {
  readonly registry: Registry;
  readonly http: HttpSeries;
  readonly serving: ServingSeries;

  constructor(modelRegistry: ModelRegistry, metrics: MetricsRegistry, serverProcess: ServerProcess) {
    this.registry = metrics.registry;
    registerProcessSeries(this.registry, String(serverProcess.index));
    this.http = new HttpSeries(this.registry);
    this.serving = new ServingSeries(this.registry, modelRegistry);
    registerModelStateSeries(this.registry, modelRegistry);
    registerModelMemorySeries(this.registry, modelRegistry);
  }
}
