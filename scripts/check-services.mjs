// Fails fast, with one clear line, when the services the test suite talks to are not reachable.
// The suite never silently skips what it cannot reach.
import net from 'node:net';

const targets = [
  ['Redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 6379],
  ['PostgreSQL', process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 5432],
];

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

let failed = false;
for (const [name, url, defaultPort] of targets) {
  const { hostname, port } = new URL(url);
  if (!(await reachable(hostname, Number(port || defaultPort)))) {
    console.error(
      `${name} is not reachable at ${url}: start it (see README, "Running the tests") or set the URL.`,
    );
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
