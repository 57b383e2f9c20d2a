import 'reflect-metadata';
import { appConfigOf, createApp } from './app.setup.js';
import { validateAllConfig } from './config/index.js';

// Invalid configuration stops the service here, with one line naming the variable.
const configError = validateAllConfig();
if (configError) {
  console.error(configError);
  process.exit(1);
}

const app = await createApp();
const { port, host } = appConfigOf(app);
await app.listen(port, host);
