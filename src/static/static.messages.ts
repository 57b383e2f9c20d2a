/** User-facing messages of the static module. */
export const templateNotFound = (id: string) => `template ${id} not found`;
export const configNotFound = (key: string) => `configuration key ${key} not found`;
export const apiVersionNotFound = (version: string) => `API version ${version} not found`;
export const invalidConfigKey = (parameter: string) =>
  `${parameter} must be 1-128 letters, digits, dots, underscores or dashes`;
export const invalidApiVersion = (parameter: string) =>
  `${parameter} must be v followed by 1-4 digits (e.g. v1)`;
export const apiDocsUnavailable = (status: number) =>
  `the API documentation is not available (the OpenAPI document answered ${status})`;
