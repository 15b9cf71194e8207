/** The dashboard page of an operation on a server (`ktrdr serve` serves the dashboard at its root, one URL per page). */
export function dashboardLink(server: string, operationId: string): string {
  return `${server.replace(/\/+$/, '')}/operations/${encodeURIComponent(operationId)}`;
}
