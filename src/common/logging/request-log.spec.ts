import { cacheTierOf } from './request-log.js';

describe('cacheTierOf', () => {
  it.each([
    ['vidcache; hit; detail=l1', 'l1'],
    ['vidcache; hit; detail=l2', 'l2'],
    ['vidcache; hit; detail=stale', 'stale'],
    ['vidcache; fwd=miss; stored', 'miss'],
    ['vidcache; fwd=bypass', 'bypass'],
    [undefined, 'none'],
    ['something else', 'none'],
  ])('reads %j as %s', (header, tier) => expect(cacheTierOf(header)).toBe(tier));
});
