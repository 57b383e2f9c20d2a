import type { DatabaseKind } from './database.connection.js';
import type { SeedReport } from './seed.js';

export const databaseInUse = (kind: DatabaseKind, location: string): string =>
  kind === 'postgres'
    ? `Using PostgreSQL at ${location}`
    : `Using the embedded PostgreSQL (PGlite) ${location === 'memory' ? 'in memory' : `in ${location}`}`;

export const poolError = (error: Error): string =>
  `PostgreSQL connection error (idle client): ${error.message}`;

export const pingTimedOut = (timeoutMs: number): string => `Database did not answer within ${timeoutMs} ms`;

export const seeded = (report: SeedReport): string =>
  `Seeded the empty database in ${Math.round(report.ms)} ms: ${report.users} users, ${report.videos} videos, ` +
  `${report.events} events, ${report.templates} templates, ${report.configEntries} config entries`;

export const seedSkipped = (): string => 'The database already holds data: not seeding it';
