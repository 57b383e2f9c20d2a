/** Hosts that mean "every interface": the docs link names the machine itself instead. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** The one start-up line an operator looks for: where the service listens and where its manual is. */
export function listeningMessage(host: string, port: number): string {
  const reachable = WILDCARD_HOSTS.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const where = WILDCARD_HOSTS.has(host) ? `port ${port} on every interface` : `${reachable}:${port}`;
  return `Listening on ${where}; API docs at http://${reachable}:${port}/docs`;
}
