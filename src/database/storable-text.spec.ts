import { containsLoneSurrogate, containsNul, isStorableText } from './storable-text.js';

describe('storable text', () => {
  it.each([
    '',
    'plain',
    'héllo wörld',
    '日本語のタイトル',
    'emoji 👋🏽 and flags 🇯🇵',
    'right-to-left שלום',
    'e\u0301 (combining accent)',
    'tabs\tand\r\nnewlines',
    '%_\\*',
    '__proto__',
    'x'.repeat(100_000),
  ])('accepts %j', (text) => {
    expect(isStorableText(text)).toBe(true);
  });

  it('rejects NUL anywhere in the string', () => {
    expect(containsNul('a\u0000b')).toBe(true);
    expect(containsNul('\u0000')).toBe(true);
    expect(isStorableText('title\u0000')).toBe(false);
  });

  it('rejects unpaired surrogates, which have no UTF-8 encoding', () => {
    expect(containsLoneSurrogate('\uD83D')).toBe(true);
    expect(containsLoneSurrogate('a\uDC4Bb')).toBe(true);
    expect(containsLoneSurrogate('\uDC4B\uD83D')).toBe(true);
    expect(containsLoneSurrogate('\uD83D\uDC4B')).toBe(false);
    expect(isStorableText('bad \uD800 half')).toBe(false);
  });
});
