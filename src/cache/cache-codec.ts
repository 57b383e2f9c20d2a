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
 * With the TTL flag, the header is followed by the entry's full TTL in ms (u32 LE), so a replica
 * that copies it into L1 knows how long it was meant to live (early refresh is a share of that).
 * With the tags flag, that is followed by the entry's tags (u32 LE length, then a JSON array
 * of strings), so a replica that copies the entry into its L1 indexes it under the same tags and a
 * later tag eviction reaches that copy too.
 *
 * A tombstone (`'T' + token`) marks a key evicted moments ago; see `RedisStore.storeIfUnchanged`.
 */
const MAGIC = 0x56; // 'V'
const VERSION = 1;
const FLAG_DEFLATE = 1;
const FLAG_TAGS = 2;
const FLAG_TTL = 4;
const KNOWN_FLAGS = FLAG_DEFLATE | FLAG_TAGS | FLAG_TTL;
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
  /** The TTL the entry was stored with, when it says. */
  readonly ttlMs: number | undefined;
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
  ttlMs?: number,
): Promise<EncodedEntry> {
  const payload = serialize(value);
  const compress = payload.length > compressAbove;
  const body = compress ? await deflate(payload) : payload;
  const tagged = tags !== undefined && tags.length > 0;
  const timed = ttlMs !== undefined && ttlMs >= 0 && ttlMs <= 0xffffffff;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = MAGIC;
  header[1] = VERSION;
  header[2] = (compress ? FLAG_DEFLATE : 0) | (tagged ? FLAG_TAGS : 0) | (timed ? FLAG_TTL : 0);
  header[3] = 0;
  header.writeDoubleLE(freshUntil, 4);
  const parts = [header];
  if (timed) {
    const ttl = Buffer.allocUnsafe(4);
    ttl.writeUInt32LE(Math.round(ttlMs), 0);
    parts.push(ttl);
  }
  if (tagged) {
    const tagBytes = Buffer.from(JSON.stringify(tags), 'utf8');
    const tagLength = Buffer.allocUnsafe(4);
    tagLength.writeUInt32LE(tagBytes.length, 0);
    parts.push(tagLength, tagBytes);
  }
  parts.push(body);
  return { bytes: Buffer.concat(parts), payload };
}

/** Reads only the header; cheap, and enough to decide whether a stored entry is still fresh. */
export function readFreshUntil(bytes: Buffer): number {
  assertHeader(bytes);
  return bytes.readDoubleLE(4);
}

export async function decodeEntry<T = unknown>(bytes: Buffer): Promise<DecodedEntry<T>> {
  return decodeEntryNow<T>(bytes) ?? decodeCompressed<T>(bytes);
}

/**
 * Decodes without waiting when the payload is not compressed (the common case, and an L2 hit's
 * path); `undefined` when it is, for {@link decodeEntry} to inflate off the event loop. Throws
 * {@link CacheDecodeError} for anything that is not a valid entry.
 */
export function decodeEntryNow<T = unknown>(bytes: Buffer): DecodedEntry<T> | undefined {
  const { flags, offset, tags, ttlMs } = readFrame(bytes);
  if (flags & FLAG_DEFLATE) return undefined;
  return {
    value: deserializePayload<T>(bytes.subarray(offset)),
    freshUntil: bytes.readDoubleLE(4),
    tags,
    ttlMs,
  };
}

async function decodeCompressed<T>(bytes: Buffer): Promise<DecodedEntry<T>> {
  const { offset, tags, ttlMs } = readFrame(bytes);
  let payload: Buffer;
  try {
    payload = await inflate(bytes.subarray(offset));
  } catch (error) {
    throw new CacheDecodeError(`corrupt payload: ${(error as Error).message}`);
  }
  return { value: deserializePayload<T>(payload), freshUntil: bytes.readDoubleLE(4), tags, ttlMs };
}

function deserializePayload<T>(payload: Buffer): T {
  try {
    return deserialize(payload) as T;
  } catch (error) {
    throw new CacheDecodeError(`corrupt payload: ${(error as Error).message}`);
  }
}

/** Header, optional TTL and tags: everything before the payload. */
function readFrame(bytes: Buffer): {
  flags: number;
  offset: number;
  tags: string[] | undefined;
  ttlMs: number | undefined;
} {
  assertHeader(bytes);
  const flags = bytes[2]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new CacheDecodeError(`unknown flags ${flags}`);
  let offset = HEADER_BYTES;
  let ttlMs: number | undefined;
  if (flags & FLAG_TTL) {
    if (bytes.length < offset + 4) throw new CacheDecodeError('truncated TTL');
    ttlMs = bytes.readUInt32LE(offset);
    offset += 4;
  }
  let tags: string[] | undefined;
  if (flags & FLAG_TAGS) {
    if (bytes.length < offset + 4) throw new CacheDecodeError('truncated tags');
    const length = bytes.readUInt32LE(offset);
    offset += 4;
    if (bytes.length < offset + length) throw new CacheDecodeError('truncated tags');
    tags = parseTags(bytes.toString('utf8', offset, offset + length));
    offset += length;
  }
  return { flags, offset, tags, ttlMs };
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
