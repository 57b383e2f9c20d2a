import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { profileClockUs } from '../lib/cpu-profile.js';
import { closedLoop } from '../lib/harness.js';
import { benchCacheOptions, BenchItemsModule, BenchItemsService } from '../sections/in-process.js';
import { openL2Fixture } from '../sections/redis-hits.js';
import { deletePrefix, rawClient, uniquePrefix } from '../../test/fixtures/redis.js';

/**
 * A hit path under load, alone in a process, for `node --cpu-prof`: the bench runs it when a
 * target is missed. Usage: `hit-path.js <cacheable-l1 | l2-read | l2-raw> <seconds> <redis url>`. Prints
 * `window <startUs> <endUs>`, the part of the profile to summarise (set-up left out).
 */
export const PROFILE_SCENARIOS = ['cacheable-l1', 'l2-read', 'l2-raw'] as const;
export type ProfileScenario = (typeof PROFILE_SCENARIOS)[number];

async function cacheableL1(seconds: number, redisUrl: string): Promise<[number, number]> {
  const prefix = uniquePrefix('bench-prof');
  const app = await NestFactory.createApplicationContext(
    BenchItemsModule.register(benchCacheOptions(prefix, redisUrl)),
    { logger: ['error', 'warn'] },
  );
  try {
    const service = app.get(BenchItemsService);
    for (let i = 0; i < 1_000; i++) await service.item(i);
    const start = profileClockUs();
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) for (let i = 0; i < 10_000; i++) await service.item(i % 1_000);
    return [start, profileClockUs()];
  } finally {
    await app.close();
    const redis = rawClient(redisUrl);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

/** vidcache's L2 read path, or (`raw`) the raw ioredis GET + decode it is compared with. */
async function l2Read(seconds: number, redisUrl: string, raw: boolean): Promise<[number, number]> {
  const fixture = await openL2Fixture(redisUrl, 1_000);
  try {
    const start = profileClockUs();
    await closedLoop(raw ? fixture.readRaw : fixture.readVidcache, 64, seconds * 1000);
    return [start, profileClockUs()];
  } finally {
    await fixture.close();
  }
}

const [scenario, seconds = '5', redisUrl = 'redis://127.0.0.1:6379'] = process.argv.slice(2);
Logger.overrideLogger(['error', 'warn']);
if (!PROFILE_SCENARIOS.includes(scenario as ProfileScenario))
  throw new Error(`hit-path: unknown scenario "${scenario}" (${PROFILE_SCENARIOS.join(', ')})`);
const window =
  scenario === 'cacheable-l1'
    ? await cacheableL1(Number(seconds), redisUrl)
    : await l2Read(Number(seconds), redisUrl, scenario === 'l2-raw');
process.stdout.write(`window ${window[0]} ${window[1]}\n`);
