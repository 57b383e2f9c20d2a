import { DEFAULT_WEIGHTS, weightsOf } from './recommendation-weights.js';

describe('weightsOf', () => {
  it('takes every weight a well-formed entry sets', () => {
    expect(weightsOf({ view: 2, like: 0, share: 7.5 })).toEqual({
      weights: { view: 2, like: 0, share: 7.5 },
      invalid: [],
    });
  });

  it('uses the default for a weight the entry leaves out, and says nothing of it', () => {
    expect(weightsOf({ like: 10 })).toEqual({ weights: { ...DEFAULT_WEIGHTS, like: 10 }, invalid: [] });
    expect(weightsOf(undefined)).toEqual({ weights: DEFAULT_WEIGHTS, invalid: [] });
  });

  it('names each unusable weight (not a number, negative, a string) and uses the default for it', () => {
    expect(weightsOf({ view: -1, like: '3', share: 4 })).toEqual({
      weights: { view: DEFAULT_WEIGHTS.view, like: DEFAULT_WEIGHTS.like, share: 4 },
      invalid: ['view', 'like'],
    });
  });

  it.each([[null], [[1, 2, 3]], [5], ['weights']])(
    'an entry that is not an object (%j) is refused whole',
    (value) => {
      expect(weightsOf(value)).toEqual({ weights: DEFAULT_WEIGHTS, invalid: ['the entry is not an object'] });
    },
  );

  it('reads own fields only: an inherited name is not a weight', () => {
    expect(weightsOf(JSON.parse('{"__proto__": {"view": 9}}'))).toEqual({
      weights: DEFAULT_WEIGHTS,
      invalid: [],
    });
  });
});
