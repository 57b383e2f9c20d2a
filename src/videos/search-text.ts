/** A search as it is cached and run: the query text normalized, the filters as given. */
export interface NormalizedSearch {
  q: string;
  category: string | undefined;
  page: number;
  perPage: number;
}

const WHITESPACE = /\s+/g;

/**
 * The canonical form of a search query, so that queries differing only in case, spacing or Unicode
 * composition share one cache entry (and one database query): lower-cased (the search itself is
 * case-insensitive), NFC, trimmed, runs of whitespace collapsed to one space.
 *
 * @example normalizeSearchText('  Cafe\u0301   TOUR ') === 'café tour'
 */
export function normalizeSearchText(text: string): string {
  return text.toLowerCase().normalize('NFC').trim().replace(WHITESPACE, ' ');
}
