/** User-facing messages of the users module. */
export const userNotFound = (userId: string) => `user ${userId} not found`;
export const sessionUserNotFound = (userId: string) => `userId: user ${userId} not found`;
export const sessionNotFound = (sessionId: string) => `session ${sessionId} not found`;
export const queueVideoNotFound = (videoId: string) => `videoId: video ${videoId} not found`;
export const notInQueue = (userId: string, videoId: string) =>
  `video ${videoId} is not in the queue of user ${userId}`;
export const userTokenRequired = () =>
  'a user token is required: Authorization: Bearer <token>, as answered by POST /users';
// Says nothing about the token sent: an error never echoes a secret.
export const invalidUserToken = () => 'invalid user token';
export const notTokenOwner = (userId: string) => `userId: the token does not belong to user ${userId}`;
// Does not repeat the address: whose it is stays private.
export const emailTaken = () =>
  'email: another user already has this email (emails are unique, whatever their case)';
