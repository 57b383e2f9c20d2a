import { types } from 'node:util';

/**
 * L1 hands out the same object to every caller, so a caller that mutated it would change what the
 * cache serves next. Copying on every hit (what bentocache and FusionCache do by default) costs
 * microseconds per hit; instead a value is made immutable once, when it enters L1, and hits return
 * it as is. Plain objects and arrays are frozen; dates become {@link FrozenDate}s, whose setters
 * throw. A value holding anything else (maps, sets, typed arrays) cannot be frozen in place, so it
 * is marked `cloneOnRead` and each hit gets a structured clone instead.
 *
 * The same walk estimates the value's memory footprint, which bounds L1 by bytes.
 */
export class FrozenDate extends Date {
  static {
    for (const name of Object.getOwnPropertyNames(Date.prototype)) {
      if (!name.startsWith('set')) continue;
      Object.defineProperty(FrozenDate.prototype, name, {
        value(this: FrozenDate) {
          throw new TypeError(`Cannot call ${name} on a cached Date: cached values are immutable`);
        },
      });
    }
  }
}

export interface ImmutableValue<T = unknown> {
  readonly value: T;
  /** Estimated heap bytes held by the value. */
  readonly bytes: number;
  readonly cloneOnRead: boolean;
}

// Rough V8 heap costs; an estimate that tracks real usage closely enough to bound memory.
const OBJECT_BYTES = 56;
const PROPERTY_BYTES = 16;
const STRING_BYTES = 16;
const NUMBER_BYTES = 16;

/**
 * The JSON of each value made immutable here, once it has been asked for (`null` until then). A
 * WeakMap, so it lives exactly as long as the value; the JSON's bytes are not added to the value's
 * estimate, which counts every string at two bytes per character where V8 keeps the JSON (Latin-1
 * text) in one, so the bound has room for it.
 */
const JSON_OF_IMMUTABLE = new WeakMap<object, string | null>();

/** Makes `value` immutable in place (it must be a private copy) and measures it. */
export function makeImmutable<T>(value: T): ImmutableValue<T> {
  const state = { bytes: 0, cloneOnRead: false, seen: new Map<object, unknown>() };
  const result = walk(value, state) as T;
  if (!state.cloneOnRead && typeof result === 'object' && result !== null)
    JSON_OF_IMMUTABLE.set(result, null);
  return { value: result, bytes: state.bytes, cloneOnRead: state.cloneOnRead };
}

/**
 * `JSON.stringify(value)`, computed once per value that {@link makeImmutable} froze whole: such a
 * value cannot change, so its JSON cannot either, and every L1 hit served over HTTP sends the same
 * string instead of serializing the value again (about 10 µs of a 300-byte video per request, in
 * the bench's profile). Any other value is serialized as usual.
 */
export function jsonOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const known = JSON_OF_IMMUTABLE.get(value);
  if (known === undefined) return JSON.stringify(value);
  if (known !== null) return known;
  const json = JSON.stringify(value);
  JSON_OF_IMMUTABLE.set(value, json);
  return json;
}

interface WalkState {
  bytes: number;
  cloneOnRead: boolean;
  /** Each object walked, and what replaced it: a date referenced twice must be replaced at both places. */
  seen: Map<object, unknown>;
}

function walk(value: unknown, state: WalkState): unknown {
  switch (typeof value) {
    case 'string':
      state.bytes += STRING_BYTES + value.length * 2;
      return value;
    case 'number':
    case 'bigint':
      state.bytes += NUMBER_BYTES;
      return value;
    case 'object':
      break;
    default:
      state.bytes += 8;
      return value;
  }
  if (value === null) return value;
  if (state.seen.has(value)) return state.seen.get(value);
  state.seen.set(value, value);
  // Realm-independent checks: values decoded by V8 are built in the main realm, which differs from
  // a vm context's (Jest's) so `instanceof` and prototype identity would misclassify them there.
  if (types.isDate(value)) {
    state.bytes += OBJECT_BYTES;
    const frozen = Object.freeze(new FrozenDate((value as Date).getTime()));
    state.seen.set(value, frozen);
    return frozen;
  }
  if (Array.isArray(value)) {
    state.bytes += OBJECT_BYTES + value.length * 8;
    for (let i = 0; i < value.length; i++) value[i] = walk(value[i], state);
    return Object.freeze(value);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || Object.getPrototypeOf(proto) === null) {
    const record = value as Record<string, unknown>;
    state.bytes += OBJECT_BYTES;
    for (const key of Object.keys(record)) {
      state.bytes += PROPERTY_BYTES + STRING_BYTES + key.length * 2;
      record[key] = walk(record[key], state);
    }
    return Object.freeze(record);
  }
  // A map, set, typed array or class instance: left mutable, so every hit gets its own clone.
  state.cloneOnRead = true;
  state.bytes += measure(value);
  return value;
}

/** Estimated heap bytes of any value, without changing it. */
function measure(value: unknown, seen = new WeakSet<object>()): number {
  if (typeof value === 'string') return STRING_BYTES + value.length * 2;
  if (typeof value !== 'object' || value === null) return NUMBER_BYTES;
  if (seen.has(value)) return 8;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return OBJECT_BYTES + value.byteLength;
  if (value instanceof ArrayBuffer) return OBJECT_BYTES + value.byteLength;
  let bytes = OBJECT_BYTES;
  if (value instanceof Map) for (const [k, v] of value) bytes += 16 + measure(k, seen) + measure(v, seen);
  else if (value instanceof Set || Array.isArray(value)) for (const v of value) bytes += 8 + measure(v, seen);
  else
    for (const [k, v] of Object.entries(value)) bytes += PROPERTY_BYTES + measure(k, seen) + measure(v, seen);
  return bytes;
}
