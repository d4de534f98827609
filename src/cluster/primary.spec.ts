import { describe, expect, it } from 'vitest';
import { inferenceWorkersPerProcess } from './primary';

describe('inferenceWorkersPerProcess', () => {
  it('shares the pod-wide INFERENCE_WORKERS among the HTTP processes, as evenly as it can', () => {
    expect(inferenceWorkersPerProcess(2, 2)).toEqual([1, 1]);
    expect(inferenceWorkersPerProcess(4, 2)).toEqual([2, 2]);
    expect(inferenceWorkersPerProcess(5, 2)).toEqual([3, 2]);
    expect(inferenceWorkersPerProcess(2, 1)).toEqual([2]);
  });

  it('gives every process at least one worker unless the setting is 0', () => {
    expect(inferenceWorkersPerProcess(1, 3)).toEqual([1, 1, 1]);
    expect(inferenceWorkersPerProcess(0, 2)).toEqual([0, 0]);
  });
});
