export const memoryOnlyMode = () =>
  'REDIS_URL is not set: the cache runs memory-only (L1 in this process, then the database); replicas do not share entries or evictions';
export const redisMode = (where: string) => `L2 cache on Redis: ${where}`;
