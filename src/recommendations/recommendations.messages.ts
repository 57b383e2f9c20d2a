import type { RecommendationWeights } from './recommendation-weights.js';

/** Operator-facing messages of the recommendations module. */
export const invalidWeights = (key: string, invalid: readonly string[], used: RecommendationWeights) =>
  `Configuration ${key}: ${invalid.join(', ')} must be a number >= 0; using ${JSON.stringify(used)}`;
