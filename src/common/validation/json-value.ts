import { BadRequestException, Injectable, type ExecutionContext, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { HitLaneGuard } from '../../cache/index.js';

/** Largest JSON value (`settings`, `data`, a config `value`) accepted, serialized, in bytes. */
export const MAX_JSON_VALUE_BYTES = 256 * 1024;
/** Deepest nesting accepted in a request body (the body object itself is level 1). */
export const MAX_JSON_BODY_DEPTH = 32;

interface RequestWithBody {
  body?: unknown;
}

/** Keys that Nest's ValidationPipe deletes from every object of a body (`stripProtoKeys`). */
export const STRIPPED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export interface BodyProblem {
  /** The top-level field whose value has the problem. */
  field: string;
  problem: 'too-deep' | 'stripped-key';
}

/**
 * The first top-level field of `body` whose value nests deeper than `maxDepth` levels (counting the
 * body as level 1) or holds a key in {@link STRIPPED_KEYS}, or `undefined`. Iterative, so no input
 * can exhaust the stack here.
 */
export function bodyProblem(body: Record<string, unknown>, maxDepth: number): BodyProblem | undefined {
  for (const [field, value] of Object.entries(body)) {
    if (STRIPPED_KEYS.includes(field)) return { field, problem: 'stripped-key' };
    const stack: [unknown, number][] = [[value, 2]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (node === null || typeof node !== 'object') continue;
      if (depth > maxDepth) return { field, problem: 'too-deep' };
      for (const [key, child] of Object.entries(node)) {
        if (!Array.isArray(node) && STRIPPED_KEYS.includes(key)) return { field, problem: 'stripped-key' };
        stack.push([child, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * Per controller class and handler: whether it declares a `@Body()`. Metadata never changes, and
 * most requests ask (a GET has no body), so it is read once.
 */
const TAKES_BODY = new WeakMap<object, WeakMap<object, boolean>>();

/** Whether the route's handler declares a `@Body()` parameter. */
function takesBody(classRef: object, handler: { name: string }): boolean {
  let byHandler = TAKES_BODY.get(classRef);
  if (!byHandler) TAKES_BODY.set(classRef, (byHandler = new WeakMap()));
  let known = byHandler.get(handler);
  if (known === undefined) {
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, classRef, handler.name) as
      Record<string, unknown> | undefined;
    known = Object.keys(args ?? {}).some((key) => key.startsWith(`${RouteParamtypes.BODY}:`));
    byHandler.set(handler, known);
  }
  return known;
}

/**
 * Lets a request through only if its body is a JSON object nested at most
 * {@link MAX_JSON_BODY_DEPTH} levels deep, without keys in {@link STRIPPED_KEYS}.
 *
 * Why a guard: guards run before pipes, and the global ValidationPipe would otherwise
 * - hand the body to class-transformer, which recurses into every nested array and object: a few
 *   kilobytes of `[[[[…]]]]` overflow the stack there and would surface as a 500;
 * - silently delete `constructor` and `prototype` keys (prototype-pollution hardening), so a JSON
 *   value would be stored without them while the client was told it was saved. (`__proto__` never
 *   gets this far: Fastify's JSON parser refuses it.)
 * Both are answered here with a 400 naming the field. So is a body that is not a JSON object (an
 * array, a string, `null`, nothing).
 *
 * Registered globally (APP_GUARD in AppModule), so every route is covered; a request without a
 * body passes only if its route takes none.
 */
@Injectable()
export class JsonBodyGuard implements HitLaneGuard {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const { body } = context.switchToHttp().getRequest<RequestWithBody>();
    // A route without a @Body() parameter (POST /admin/cache/warmup) may be called without one.
    if (body === undefined && !takesBody(context.getClass(), context.getHandler())) return true;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new BadRequestException('body must be a JSON object');
    }
    const found = bodyProblem(body as Record<string, unknown>, MAX_JSON_BODY_DEPTH);
    if (found?.problem === 'too-deep') {
      throw new BadRequestException(
        `${found.field} must not nest deeper than ${MAX_JSON_BODY_DEPTH - 1} levels`,
      );
    }
    if (found?.problem === 'stripped-key') {
      throw new BadRequestException(
        `${found.field} must not contain keys named ${STRIPPED_KEYS.join(', ')} (reserved against prototype pollution)`,
      );
    }
    return true;
  }

  /**
   * The hit lane answers only requests without a body, which this guard lets through on a route
   * that takes none (and refuses, in the pipeline, on one that takes one).
   */
  admitHit(_request: unknown, _reply: unknown, controller: Type, handler: object): boolean {
    return !takesBody(controller, handler as { name: string });
  }
}

const utf8Length = (value: unknown): number => {
  const text = JSON.stringify(value);
  return text === undefined ? Infinity : Buffer.byteLength(text, 'utf8');
};

/**
 * A JSON value sent by the client, kept exactly as parsed: what class-transformer built from it is
 * replaced by the parsed value itself (it would drop keys such as `toString` or `valueOf`, which
 * plain objects inherit), and validated as present (JSON `null` is a value) and at most
 * {@link MAX_JSON_VALUE_BYTES} bytes serialized. With `object: true`, it must be a JSON object.
 *
 * @example
 * \@IsJsonValue() value!: JsonValue;
 * \@IsOptional() \@IsJsonValue({ object: true }) settings?: JsonObject;
 */
export function IsJsonValue(
  options: { object?: boolean; maxBytes?: number } = {},
  validationOptions?: ValidationOptions,
): PropertyDecorator {
  const maxBytes = options.maxBytes ?? MAX_JSON_VALUE_BYTES;
  const kind = options.object ? 'a JSON object' : 'any JSON value';
  const keepParsed = Transform(({ obj, key }) => (obj as Record<string, unknown>)[key], {
    toClassOnly: true,
  });
  const validate = ValidateBy(
    {
      name: 'isJsonValue',
      validator: {
        validate: (value: unknown) =>
          value !== undefined &&
          (!options.object || (value !== null && typeof value === 'object' && !Array.isArray(value))) &&
          utf8Length(value) <= maxBytes,
      },
    },
    {
      message: `$property must be ${kind} of at most ${maxBytes} bytes when serialized`,
      ...validationOptions,
    },
  );
  return (target, propertyKey) => {
    keepParsed(target, propertyKey);
    validate(target, propertyKey);
  };
}
