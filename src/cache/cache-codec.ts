import { deserialize, serialize } from 'node:v8';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/**
 * The byte format of an L2 entry:
 *
 * ```
 * 0      1        2       3         4 .. 11             12 ..
 * 'V'    version  flags   reserved  freshUntil (f64 LE) payload (V8 structured serialization, maybe deflated)
 * ```
 *
 * The payload is V8's structured-clone serialization, the format `postMessage` uses between
 * processes that do not trust each other: it restores data (every string exactly, dates as dates,
 * `undefined`, `-0`, big integers, maps, sets, typed arrays, own `__proto__` keys) and never
 * constructs code or evaluates anything. Strings are never inspected for type tags, so no string can
 * be revived into something else — the failure mode of JSON-with-prefixes serializers.
 *
 * With the tags flag, the header is followed by the entry's tags (u32 LE length, then a JSON array
 * of strings), so a replica that copies the entry into its L1 indexes it under the same tags and a
 * later tag eviction reaches that copy too.
 *
 * A tombstone (`'T' + token`) marks a key evicted moments ago; see `RedisStore.storeIfUnchanged`.
 */
const MAGIC = 0x56; // 'V'
const VERSION = 1;
const FLAG_DEFLATE = 1;
const FLAG_TAGS = 2;
const KNOWN_FLAGS = FLAG_DEFLATE | FLAG_TAGS;
const HEADER_BYTES = 12;
export const TOMBSTONE_MARK = 'T';

export class CacheDecodeError extends Error {
  override readonly name = 'CacheDecodeError';
}

export interface EncodedEntry {
  /** What L2 stores. */
  readonly bytes: Buffer;
  /** The uncompressed serialization, from which L1 takes its private copy without inflating. */
  readonly payload: Buffer;
}

export interface DecodedEntry<T = unknown> {
  readonly value: T;
  /** Absolute time (ms since epoch) until which the entry is fresh. */
  readonly freshUntil: number;
  readonly tags: readonly string[] | undefined;
}

/**
 * Serializes a value for L2. Throws (a `DataCloneError`) for values that cannot be stored as data,
 * such as functions or class instances with private state.
 */
export async function encodeEntry(
  value: unknown,
  freshUntil: number,
  compressAbove: number,
  tags?: readonly string[],
): Promise<EncodedEntry> {
  const payload = serialize(value);
  const compress = payload.length > compressAbove;
  const body = compress ? await deflate(payload) : payload;
  const tagged = tags !== undefined && tags.length > 0;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = MAGIC;
  header[1] = VERSION;
  header[2] = (compress ? FLAG_DEFLATE : 0) | (tagged ? FLAG_TAGS : 0);
  header[3] = 0;
  header.writeDoubleLE(freshUntil, 4);
  if (!tagged) return { bytes: Buffer.concat([header, body]), payload };
  const tagBytes = Buffer.from(JSON.stringify(tags), 'utf8');
  const tagLength = Buffer.allocUnsafe(4);
  tagLength.writeUInt32LE(tagBytes.length, 0);
  return { bytes: Buffer.concat([header, tagLength, tagBytes, body]), payload };
}

/** Reads only the header; cheap, and enough to decide whether a stored entry is still fresh. */
export function readFreshUntil(bytes: Buffer): number {
  assertHeader(bytes);
  return bytes.readDoubleLE(4);
}

export async function decodeEntry<T = unknown>(bytes: Buffer): Promise<DecodedEntry<T>> {
  assertHeader(bytes);
  const flags = bytes[2]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new CacheDecodeError(`unknown flags ${flags}`);
  let offset = HEADER_BYTES;
  let tags: string[] | undefined;
  if (flags & FLAG_TAGS) {
    if (bytes.length < offset + 4) throw new CacheDecodeError('truncated tags');
    const length = bytes.readUInt32LE(offset);
    offset += 4;
    if (bytes.length < offset + length) throw new CacheDecodeError('truncated tags');
    tags = parseTags(bytes.toString('utf8', offset, offset + length));
    offset += length;
  }
  const body = bytes.subarray(offset);
  try {
    const payload = flags & FLAG_DEFLATE ? await inflate(body) : body;
    return { value: deserialize(payload) as T, freshUntil: bytes.readDoubleLE(4), tags };
  } catch (error) {
    throw new CacheDecodeError(`corrupt payload: ${(error as Error).message}`);
  }
}

function parseTags(text: string): string[] {
  let tags: unknown;
  try {
    tags = JSON.parse(text);
  } catch {
    throw new CacheDecodeError('corrupt tags');
  }
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
    throw new CacheDecodeError('corrupt tags');
  }
  return tags as string[];
}

function assertHeader(bytes: Buffer): void {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC) throw new CacheDecodeError('not a vidcache entry');
  if (bytes[1] !== VERSION) throw new CacheDecodeError(`unsupported format version ${bytes[1]}`);
}

export const isTombstone = (bytes: Buffer) => bytes.length > 0 && bytes[0] === TOMBSTONE_MARK.charCodeAt(0);
