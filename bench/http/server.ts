import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ensureMigrationsBesideBuild } from '../lib/paths.js';
import { BenchAppModule } from './bench-app.module.js';

/**
 * The HTTP section's server, run in a process of its own so the load generator does not share its
 * event loop. Configured by the parent through the environment (BENCH_PREFIX, REDIS_URL, and the
 * database variables); prints `listening <port>` once it serves, and closes cleanly on SIGTERM.
 */
ensureMigrationsBesideBuild();
const prefix = process.env.BENCH_PREFIX;
const redisUrl = process.env.REDIS_URL;
if (!prefix || !redisUrl) throw new Error('bench server: BENCH_PREFIX and REDIS_URL are required');

const app = await NestFactory.create<NestFastifyApplication>(
  BenchAppModule.register({ prefix, redisUrl }),
  new FastifyAdapter(),
  { logger: ['error', 'warn'] },
);
// Closed by hand rather than by Nest's shutdown hooks, which re-raise the signal: exiting normally
// lets `--cpu-prof` write its profile when the bench profiles this server.
process.once('SIGTERM', () => {
  void app.close().finally(() => process.exit(0));
});
await app.listen(0, '127.0.0.1');
const address = app.getHttpServer().address();
const port = typeof address === 'object' && address !== null ? address.port : Number.NaN;
process.stdout.write(`listening ${port}\n`);
