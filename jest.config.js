import { fileURLToPath } from 'node:url';

// Jest 30 on native ESM (run through `node --experimental-vm-modules`), compiled by SWC with
// legacy decorators and decorator metadata, which Nest's dependency injection needs.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    // @nestjs/throttler is CommonJS requiring the ESM-only @nestjs/common, which Node (>= 20.19) does
    // natively and Jest's loader cannot before Node 24.9; see the transform for what it rewrites.
    '/node_modules/@nestjs/throttler/dist/.+\\.js$': fileURLToPath(
      new URL('./test/support/cjs-to-esm.transform.cjs', import.meta.url),
    ),
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/throttler/)'],
  moduleNameMapper: {
    // Sources import siblings as `./x.js` (nodenext); Jest resolves them to the `.ts` files.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Fastify's inject (light-my-request, CommonJS) requires `cookie`, which is ESM-only since v2.
    // Node 20 loads it through require(esm), Jest's module loader cannot (before Node 24.9); the
    // CommonJS build of the same function serves tests only.
    '^cookie$': 'cookie-cjs',
  },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  projects: [
    // Unit specs need nothing running; the ones that need Redis or PostgreSQL are named
    // `*.integration.spec.ts` (still beside their code) and make a project of their own.
    {
      ...common,
      displayName: 'unit',
      rootDir: 'src',
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.integration\\.spec\\.ts$'],
    },
    { ...common, displayName: 'integration', rootDir: 'src', testMatch: ['**/*.integration.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  testTimeout: 60_000,
  // V8's own coverage: Babel's instrumentation never sees the code, which SWC compiles (ESM).
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/database/migrations/**'],
};
