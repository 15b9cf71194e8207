/** Pretty JSON with a trailing newline, for files people read (model.json, metrics.json). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
