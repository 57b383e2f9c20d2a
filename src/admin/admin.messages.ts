/** Operator-facing messages of the admin module. */
export const replicasUnconfirmed = (confirmed: number, replicas: number) =>
  `applied here and in Redis, but only ${confirmed} of ${replicas} other replicas confirmed in time; retry`;
