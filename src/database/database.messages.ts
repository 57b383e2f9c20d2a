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

export const sourceOpened = (source: string, cooldownMs: number): string =>
  `The ${source} is unreachable: its circuit is open; calls fail at once (503) and it is probed every ${cooldownMs} ms`;

export const sourceClosed = (source: string): string => `The ${source} answers again: its circuit is closed`;

// The error's message only: a driver error never carries the connection string, but its stack is noise here.
export const sourceProbeFailed = (source: string, error: unknown): string =>
  `The ${source} is still unreachable (probe failed: ${error instanceof Error ? error.message : String(error)})`;
