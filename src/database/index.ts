// The database layer as feature modules see it: import from here, not from the files behind it.
export { DatabaseModule } from './database.module.js';
export { DatabaseService } from './database.service.js';
export type { Database, DatabaseKind } from './database.connection.js';
export { DRIZZLE, ID_PREFIX, type IdPrefix } from './database.constants.js';
export { isForeignKeyViolation, isUniqueViolation } from './database-errors.js';
export { newId } from './ids.js';
export { pageOffset, type Paged } from './pagination.js';
export { pickDefined } from './patch.js';
export { byteOrder, hoursAgo, queryRows } from './raw-query.js';
export * from './schema.js';
export { containsLoneSurrogate, containsNul, isStorableText } from './storable-text.js';
