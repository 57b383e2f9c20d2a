/** Operator-facing messages of the admin module. */
export const redisUnreachable = () =>
  'applied on this replica, but Redis cannot be reached to tell the others; retry';
export const replicasUnconfirmed = (confirmed: number, replicas: number) =>
  `applied here and in Redis, but only ${confirmed} of ${replicas} other replicas confirmed in time; retry`;
