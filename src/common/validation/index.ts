export { IsStorableText } from './storable-text.decorator.js';
export { IsEntityId, ParseIdPipe, entityIdPattern } from './id.pipe.js';
export { ApiIdParam, ApiPathParam } from './api-path-param.decorator.js';
export {
  PaginationQuery,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_PAGE,
  type Page,
} from './pagination.query.js';
