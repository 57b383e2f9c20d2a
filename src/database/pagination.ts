/** One page of a list and the size of the whole list. Controllers add `page` and `perPage`. */
export interface Paged<T> {
  items: T[];
  total: number;
}

/**
 * The number of rows to skip for a 1-based page. Invalid paging is a programming error here (DTOs
 * validate client input), so it throws rather than letting the database reject a negative offset.
 */
export function pageOffset(page: number, perPage: number): number {
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  if (!Number.isInteger(perPage) || perPage < 1) {
    throw new RangeError(`perPage must be an integer >= 1, got ${perPage}`);
  }
  return (page - 1) * perPage;
}
