export const unknownNamespace = (name: string, known: readonly string[]) =>
  `Unknown cache namespace "${name}"; configured namespaces: ${known.join(', ')}`;
export const requestScopedSkipped = (provider: string, method: string) =>
  `${provider}.${method} has cache decorators but ${provider} is request-scoped; its methods are not cached`;
export const notCacheable = (key: string, reason: string) => `Value for ${key} was not cached: ${reason}`;
export const undecodable = (key: string, reason: string) =>
  `Discarded an L2 entry that could not be decoded (${key}): ${reason}`;
export const circuitOpened = (failures: number, cooldownMs: number) =>
  `L2 circuit opened after ${failures} consecutive Redis failures; serving from L1 and the source for ${cooldownMs} ms`;
export const connectionLost = (cooldownMs: number) =>
  `L2 connection lost: serving from L1 and the source, probing Redis every ${cooldownMs} ms`;
export const circuitClosed = (replayed: number) =>
  `L2 circuit closed: Redis answers again (${replayed} pending evictions replayed)`;
export const busResubscribed = () =>
  'Invalidation bus resubscribed after an interruption: L1 dropped, because evictions may have been missed';
export const busNotSubscribedYet = (waitedMs: number) =>
  `Invalidation bus not subscribed after ${waitedMs} ms (Redis is not there yet): serving without L1 until it is; L1 is dropped when the subscription lands`;
export const busResubscribeFailed = (reason: string) =>
  `Invalidation bus could not resubscribe (${reason}): once the channel has been silent past the deaf threshold, L1 is not served until a reconnection subscribes again`;
export const evictionRefused = (reason: string) =>
  `Redis refused an eviction (${reason}): old values removed with UNLINK where possible; L2 is skipped and the eviction replayed until Redis accepts it`;
export const evictionUnreplicated = (reason: string) =>
  `Redis took an eviction but its replicas did not (${reason}): a failover could bring the old values back, so L2 is skipped and the eviction replayed until they take it`;
export const connectionReplaced = (timeouts: number) =>
  `L2 connection replaced after ${timeouts} consecutive timeouts: its replies can no longer be trusted to match its commands`;
export const busRenewing = (silentMs: number) =>
  `Invalidation bus silent for ${silentMs} ms on a Cluster: sending its SSUBSCRIBE again, as a subscription can be lost while its connection stays open`;
export const busDeaf = (silentMs: number, periods: number) =>
  `Invalidation bus was silent for ${silentMs} ms (${periods} such silences so far): L1 is not served while the bus is silent`;
export const busGap = (sender: string, missing: number) =>
  `Invalidation bus: ${missing} message(s) from ${sender} never arrived: L1 dropped, because evictions may have been missed`;
