import type { z } from 'zod';
import { KtrdrError } from '../errors.js';

export type Schema = z.ZodType;
/** What a part parses to: the schema's output, or undefined where the route declares no schema. */
export type Parsed<S> = S extends Schema ? z.output<S> : undefined;

/** Parses one part of a request; a failure is a 400 VALIDATION_FAILED listing every problem with its path. */
export function parsePart<S extends Schema | undefined>(schema: S, value: unknown, where: 'path' | 'query' | 'body'): Parsed<S> {
  if (schema === undefined) return undefined as Parsed<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data as Parsed<S>;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
  const first = issues[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid';
  throw new KtrdrError('VALIDATION_FAILED', `invalid request ${where}: ${summary}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, {
    details: { in: where, issues },
  });
}
