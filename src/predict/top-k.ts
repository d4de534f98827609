export interface RankedClass {
  label: string;
  class_id: number;
  probability: number;
}

/** The k most probable classes, best first; ties keep the lower class id first. */
export function topK(probabilities: readonly number[], labels: readonly string[], k: number): RankedClass[] {
  return probabilities
    .map((probability, classId) => ({ label: labels[classId], class_id: classId, probability }))
    .sort((a, b) => b.probability - a.probability || a.class_id - b.class_id)
    .slice(0, Math.min(k, labels.length));
}
