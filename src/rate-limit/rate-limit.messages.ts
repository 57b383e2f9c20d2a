/** The message of a 429: when the client may try again, in whole seconds (as `Retry-After` says). */
export const tooManyRequests = (retryAfterSeconds: number) =>
  `Too many requests; retry after ${retryAfterSeconds} s`;

export const countingAlone = (reason: string, replicas: number) =>
  `Rate limits counted per replica until Redis answers again (${reason}): ` +
  `each admits 1/${replicas} of the limit per client (${replicas} replica(s) last seen)`;

export const countingTogether = () => 'Rate limits shared through Redis again';
