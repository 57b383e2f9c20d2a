import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new migration into src/database/migrations after a schema change.
// The service applies them at start-up (src/database/database.connection.ts); nothing else runs them.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/database/schema.ts',
  out: './src/database/migrations',
});
