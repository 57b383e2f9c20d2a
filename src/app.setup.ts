import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { SECURITY_SCHEME } from './common/auth/bearer-token.js';
import { createAppLogger } from './common/logging/app-logger.js';
import { appConfig, type AppConfig } from './config/app.config.js';
import { useHttpProtocolMessages } from './common/http/http-protocol.js';
import { useJsonBodyParser } from './common/json-body-parser.js';
import { validationException } from './common/validation/validation-errors.js';
import { loadOpsConfig } from './config/ops.config.js';

/** The three bearer tokens, each its own scheme: they prove different things to different routes. */
const BEARER_SCHEMES: Record<(typeof SECURITY_SCHEME)[keyof typeof SECURITY_SCHEME], string> = {
  [SECURITY_SCHEME.admin]: 'ADMIN_TOKEN, for /admin/* and PUT /config/:key',
  [SECURITY_SCHEME.user]: 'A user’s secret token, answered once by POST /users; opens sessions for that user',
  [SECURITY_SCHEME.session]: 'The id of one of the user’s own sessions; reveals that user’s private fields',
};

/** Applies what every instance of the app needs, in `main.ts` and in end-to-end tests alike. */
export function configureApp(app: NestFastifyApplication): void {
  useJsonBodyParser(app);
  useHttpProtocolMessages(app, appConfig().bodyLimit);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Messages name the field: "title must be shorter than or equal to 200 characters".
      validationError: { target: false, value: false },
      // One message per bad field, the most telling one (see validationMessages).
      exceptionFactory: validationException,
    }),
  );
  app.enableShutdownHooks();
  const builder = new DocumentBuilder()
    .setTitle('vidcache')
    .setDescription(
      'The API of an AI video platform, served through a hybrid L1/L2 cache in front of PostgreSQL',
    )
    .setVersion('1');
  // `addSecurity`, not `addBearerAuth`: the latter declares every token a JWT, and none of these is.
  for (const [name, description] of Object.entries(BEARER_SCHEMES)) {
    builder.addSecurity(name, { type: 'http', scheme: 'bearer', description });
  }
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}

/** The Fastify adapter, with the body limit (413 past it) and proxy trust from configuration. */
export function createFastifyAdapter(): FastifyAdapter {
  const { bodyLimit, trustProxy } = appConfig();
  return new FastifyAdapter({ bodyLimit, trustProxy });
}

/** Creates the Fastify application, configured, not yet listening. */
export async function createApp(): Promise<NestFastifyApplication> {
  const { logFormat, logLevel } = loadOpsConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    bufferLogs: false,
    logger: createAppLogger(logFormat, logLevel),
  });
  configureApp(app);
  return app;
}

export function appConfigOf(app: INestApplication): AppConfig {
  return app.get(ConfigService).getOrThrow<AppConfig>('app');
}
