import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import secureJsonParse from 'secure-json-parse';

class InvalidJsonBodyError extends Error {
  readonly statusCode = 400;
}

/** Parses a JSON body, refusing `__proto__` and `constructor.prototype` keys, with a message that says why. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new InvalidJsonBodyError('body is empty but content-type is application/json');
  try {
    return secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const reason = (error as Error).message;
    throw new InvalidJsonBodyError(
      /prototype/i.test(reason)
        ? 'body must not contain keys named __proto__ (or constructor.prototype): they are refused against prototype pollution'
        : `body is not valid JSON: ${reason}`,
    );
  }
}

/**
 * Fastify's JSON parser (the same secure-json-parse) answers every failure with "Body is not valid
 * JSON", which does not tell a client that its `__proto__` key was the problem. This one says what
 * is wrong. The body limit (413) still applies first.
 */
export function useJsonBodyParser(app: NestFastifyApplication): void {
  app.useBodyParser('application/json', {}, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body.toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
