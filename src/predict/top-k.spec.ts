import { describe, expect, it } from 'vitest';
import { topK } from './top-k';

const LABELS = ['zero', 'one', 'two', 'three'];

describe('topK', () => {
  it('answers the k most probable classes, best first, with label and class id', () => {
    expect(topK([0.125, 0.5, 0.0625, 0.3125], LABELS, 3)).toEqual([
      { label: 'one', class_id: 1, probability: 0.5 },
      { label: 'three', class_id: 3, probability: 0.3125 },
      { label: 'zero', class_id: 0, probability: 0.125 },
    ]);
  });

  it('answers the single best class for k = 1', () => {
    expect(topK([0.125, 0.25, 0.5, 0.125], LABELS, 1)).toEqual([{ label: 'two', class_id: 2, probability: 0.5 }]);
  });

  it('keeps the lower class id first among equal probabilities', () => {
    expect(topK([0.25, 0.25, 0.25, 0.25], LABELS, 4).map((entry) => entry.class_id)).toEqual([0, 1, 2, 3]);
    expect(topK([0.125, 0.375, 0.125, 0.375], LABELS, 3).map((entry) => entry.class_id)).toEqual([1, 3, 0]);
  });

  it('answers at most one entry per label when k is larger', () => {
    expect(topK([0.5, 0.25, 0.125, 0.125], LABELS, 100_000).map((entry) => entry.label)).toEqual(['zero', 'one', 'two', 'three']);
  });

  it('leaves the probabilities it was given untouched', () => {
    const probabilities = [0.125, 0.5, 0.0625, 0.3125];
    topK(probabilities, LABELS, 2);
    expect(probabilities).toEqual([0.125, 0.5, 0.0625, 0.3125]);
  });
});
