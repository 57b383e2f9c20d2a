interface HeaderWritable {
  header(name: string, value: string): unknown;
}

/**
 * Sets `Location` on a 201 to the URL of what was created: `/` then the segments, each encoded
 * (a config key such as `feature/flags` stays one segment).
 *
 * @example
 * setLocation(reply, 'users', user.id) // Location: /users/usr_…
 */
export function setLocation(reply: HeaderWritable, ...segments: string[]): void {
  reply.header('Location', `/${segments.map(encodeURIComponent).join('/')}`);
}
