export * from './operation.js';
export * from './operation-events.js';
export * from './operation-store.js';
export * from './transitions.js';
export { ProgressThrottle, DEFAULT_PROGRESS_EVENT_INTERVAL_MS } from './progress-throttle.js';
export { SqliteOperationStore, type SqliteOperationStoreOptions } from './sqlite/sqlite-operation-store.js';
export { MIGRATIONS, migrate, type Migration } from './sqlite/migrations.js';
