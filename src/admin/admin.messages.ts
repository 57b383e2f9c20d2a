/** Operator-facing messages of the admin module. */
export const redisUnreachable = () =>
  'applied on this replica, but Redis cannot be reached to tell the others; retry';
export const replicasUnconfirmed = (confirmed: number, replicas: number) =>
  `applied here and in Redis, but only ${confirmed} of ${replicas} other replicas confirmed in time; retry`;
export const adminTokenUnset = () => 'ADMIN_TOKEN is unset: /admin endpoints answer 401 to everyone';
