/**
 * Every HTTP request and response body as a zod schema, shared by the backend (validation, OpenAPI), the CLI
 * (response parsing) and tests (contract checks). Types come from the schemas, never the other way round.
 */
export * from './common.js';
export * from './data.js';
export * from './health.js';
export * from './hosts.js';
export * from './models.js';
export * from './operations.js';
export * from './strategies.js';
export * from './trainings.js';
