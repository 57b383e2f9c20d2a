import { classifyDatabaseOutage, isForeignKeyViolation } from './database-errors.js';

/** An error the way node-postgres builds a server error: a subclass carrying the SQLSTATE. */
class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Drizzle's wrapper: its message quotes the query and its parameters. */
class DrizzleQueryError extends Error {}

const wrapped = (cause: Error, params = '') =>
  new DrizzleQueryError(`Failed query: select 1\nparams: ${params}`, { cause });

describe('classifyDatabaseOutage', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'connection'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'connection'],
    [new DatabaseError('terminating connection due to administrator command', '57P01'), 'connection'],
    [new DatabaseError('the database system is starting up', '57P03'), 'connection'],
    [new DatabaseError('sorry, too many clients already', '53300'), 'connection'],
    [new DatabaseError('connection failure', '08006'), 'connection'],
    [new DatabaseError('canceling statement due to statement timeout', '57014'), 'timeout'],
    [new Error('timeout exceeded when trying to connect'), 'timeout'],
    [new Error('Connection terminated due to connection timeout'), 'timeout'],
    [new Error('Query read timeout'), 'timeout'],
    [new Error('Connection terminated unexpectedly'), 'connection'],
    [
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'all refused'),
      'connection',
    ],
  ])('recognises %s as an outage (%s), also when Drizzle wraps it', (error, outage) => {
    expect(classifyDatabaseOutage(error)).toBe(outage);
    expect(classifyDatabaseOutage(wrapped(error))).toBe(outage);
  });

  it.each([
    new DatabaseError('duplicate key value violates unique constraint', '23505'),
    new DatabaseError('invalid input syntax for type integer: "Connection terminated"', '22P02'),
    new Error('something else'),
  ])('does not take a query error for an outage: %s', (error) => {
    expect(classifyDatabaseOutage(wrapped(error))).toBeUndefined();
  });

  it('never reads an outage into what the client sent (Drizzle quotes the parameters)', () => {
    const error = wrapped(new DatabaseError('bad', '22P02'), 'Query read timeout, timeout exceeded');
    expect(classifyDatabaseOutage(error)).toBeUndefined();
  });

  it('keeps foreign-key violations apart', () => {
    expect(isForeignKeyViolation(wrapped(new DatabaseError('fk', '23503')))).toBe(true);
    expect(isForeignKeyViolation(wrapped(new DatabaseError('gone', '57P01')))).toBe(false);
  });
});
