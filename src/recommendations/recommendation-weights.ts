import type { EventType, JsonValue } from '../database/index.js';

/** How much one event of each type counts towards a recommendation's score. */
export type RecommendationWeights = Readonly<Record<EventType, number>>;

/** Used for a weight the configuration entry does not set, or sets to something other than a number ≥ 0. */
export const DEFAULT_WEIGHTS: RecommendationWeights = { view: 1, like: 3, share: 5 };

const isWeight = (value: JsonValue | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * The weights of a `recommendations.weights` entry, any JSON an admin stored: each usable weight is
 * taken, the rest are the defaults, and `invalid` names what was not usable so the caller can say so.
 *
 * @example
 * weightsOf({ view: 2, like: 'x' }) // { weights: { view: 2, like: 3, share: 5 }, invalid: ['like'] }
 * weightsOf(undefined) // { weights: DEFAULT_WEIGHTS, invalid: [] }
 */
export function weightsOf(value: JsonValue | undefined): {
  weights: RecommendationWeights;
  invalid: string[];
} {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  const entry = isObject ? value : {};
  // A missing entry is fine (a server database is not seeded); an entry of the wrong shape is not.
  const invalid: string[] = isObject || value === undefined ? [] : ['the entry is not an object'];
  const pick = (type: EventType): number => {
    const weight = Object.hasOwn(entry, type) ? entry[type] : undefined;
    if (isWeight(weight)) return weight;
    if (weight !== undefined) invalid.push(type);
    return DEFAULT_WEIGHTS[type];
  };
  return { weights: { view: pick('view'), like: pick('like'), share: pick('share') }, invalid };
}
