// Seeds the configured database: `node dist/database/seed.cli.js [--reset]`.
// Reads DATABASE_URL, DATA_DIR and SEED_SCALE like the service does, applies pending migrations,
// then seeds if the database holds no users. `--reset` empties every table first.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { loadDatabaseConfig } from '../config/database.config.js';
import { InvalidConfigError } from '../config/validate-env.js';
import { DatabaseConnection } from './database.connection.js';
import { seeded } from './database.messages.js';
import { resetDatabase, seedIfEmpty } from './seed.js';

const USAGE = 'Usage: node dist/database/seed.cli.js [--reset]';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { reset: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadDatabaseConfig();
  const connection = await DatabaseConnection.open(config, new Logger('Seed'));
  console.log(connection.describe());
  try {
    return await connection.withStartupLock(async () => {
      await connection.migrate();
      if (values.reset) {
        await resetDatabase(connection.db);
        console.log('Emptied every table');
      }
      const report = await seedIfEmpty(connection.db, { scale: config.seedScale });
      if (report === null) {
        console.log('The database already holds data: nothing seeded (use --reset to start over)');
        return 0;
      }
      console.log(seeded(report));
      return 0;
    });
  } finally {
    await connection.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  // A bad variable or a bad argument is one clear line; anything else deserves its stack.
  const expected =
    error instanceof InvalidConfigError ||
    (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  console.error(expected ? `${(error as Error).message}\n${USAGE}` : error);
  process.exitCode = 1;
}
