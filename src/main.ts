import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { appConfigOf, createApp } from './app.setup.js';
import { listeningMessage } from './common/logging/logging.messages.js';
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
// The bound port, not the configured one: PORT=0 asks the system for a free port.
const bound = (app.getHttpServer().address() as AddressInfo).port;
new Logger('Bootstrap').log(listeningMessage(host, bound));
