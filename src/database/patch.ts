/**
 * The fields of a patch that may change and are set. `undefined` means "leave unchanged"; keys not in
 * `allowed` are dropped, so an object carrying more than its type says (an id, a counter) can never
 * overwrite those columns.
 *
 * @example
 * pickDefined({ title: 'New', description: undefined, id: 'x' }, ['title', 'description']) // { title: 'New' }
 */
export function pickDefined<T extends object, K extends keyof T>(
  patch: T,
  allowed: readonly K[],
): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of allowed) {
    if (patch[key] !== undefined) picked[key] = patch[key];
  }
  return picked;
}
