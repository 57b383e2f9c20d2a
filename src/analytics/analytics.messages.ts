/** User-facing messages of the analytics module. */
export const userNotFound = (id: string) => `user ${id} not found`;
export const videoNotFound = (id: string) => `video ${id} not found`;
/** A body field referring to a row that does not exist: the message names the field. */
export const unknownReference = (field: string, kind: 'user' | 'video', id: string) =>
  `${field}: ${kind} ${id} does not exist`;
