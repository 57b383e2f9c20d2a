import { jest } from '@jest/globals';
import { jsonOf, makeImmutable } from './immutable-value.js';

const video = () => ({
  id: 'vid_000001',
  title: 'Ultimate Boss Fight Breakdown',
  tags: ['gaming', 'boss'],
  owner: { id: 'usr_000586', name: 'Ada' },
  createdAt: new Date('2026-08-14T14:24:20.457Z'),
});

describe('jsonOf (the JSON of an immutable value, computed once)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers exactly what JSON.stringify answers for the value', () => {
    const expected = JSON.stringify(video());
    const { value } = makeImmutable(video());
    expect(jsonOf(value)).toBe(expected);
    expect(jsonOf(value)).toBe(expected);
  });

  it('serializes a value made immutable once, however often it is asked for', () => {
    const { value } = makeImmutable(video());
    const stringify = jest.spyOn(JSON, 'stringify');
    for (let i = 0; i < 5; i++) jsonOf(value);
    expect(stringify).toHaveBeenCalledTimes(1);
  });

  it('cannot serve an outdated JSON: the value it was computed from cannot change', () => {
    const { value } = makeImmutable(video());
    const before = jsonOf(value);
    expect(() => ((value as { title: string }).title = 'changed')).toThrow(TypeError);
    expect(() => (value.tags as string[]).push('new')).toThrow(TypeError);
    expect(() => ((value.owner as { name: string }).name = 'Bob')).toThrow(TypeError);
    expect(() => value.createdAt.setFullYear(2000)).toThrow(TypeError);
    expect(jsonOf(value)).toBe(before);
    expect(jsonOf(value)).toBe(JSON.stringify(video()));
  });

  it('serializes a mutable value afresh each time, so a change shows', () => {
    const mutable = video();
    expect(jsonOf(mutable)).toBe(JSON.stringify(video()));
    mutable.title = 'changed';
    expect(JSON.parse(jsonOf(mutable))).toMatchObject({ title: 'changed' });
  });

  it('does not keep the JSON of a value that is cloned on read (it holds a Map, left mutable)', () => {
    const { value, cloneOnRead } = makeImmutable({ id: 'x', index: new Map([['a', 1]]) });
    expect(cloneOnRead).toBe(true);
    const stringify = jest.spyOn(JSON, 'stringify');
    expect(jsonOf(value)).toBe('{"id":"x","index":{}}');
    expect(jsonOf(value)).toBe('{"id":"x","index":{}}');
    expect(stringify).toHaveBeenCalledTimes(2);
  });

  it('serializes primitives and null as JSON.stringify does', () => {
    for (const value of ['text', 42, true, null]) expect(jsonOf(value)).toBe(JSON.stringify(value));
  });
});
