import { z } from 'zod';
import { HostDeviceSchema } from './host-protocol.js';
import { IsoTimestampSchema } from './common.js';

/**
 * The backend's view of its training hosts (`GET /api/v1/hosts`, `POST /api/v1/hosts/register`). The wire protocol
 * the backend speaks *to* a host is `host-protocol.ts`; this file is what the backend tells its own clients.
 */

/**
 * `healthy`: the last health check answered; `unhealthy`: it failed or timed out; `unknown`: not checked yet;
 * `stale`: a self-registered host that has neither heartbeated nor answered a check for a while (dropped later).
 */
export const HOST_STATUSES = ['healthy', 'unhealthy', 'unknown', 'stale'] as const;
export const HostStatusSchema = z.enum(HOST_STATUSES);
export type HostStatus = z.infer<typeof HostStatusSchema>;

export const HostViewSchema = z
  .object({
    url: z.string().describe('Base URL the backend calls the host at'),
    name: z.string().nullable(),
    source: z
      .enum(['configured', 'registered', 'queue'])
      .describe('KTRDR_HOSTS, self-registered (POST /hosts/register), or a queue host pulling runs from Redis (cluster mode)'),
    status: HostStatusSchema,
    device: HostDeviceSchema.nullable().describe('As the host reports it; null until it answered once'),
    busy: z.boolean().nullable().describe('Every slot taken, as of the last check'),
    active: z.number().int().nullable().describe('Runs queued or running on the host, as of the last check'),
    capacity: z.number().int().nullable(),
    version: z.string().nullable(),
    runs_here: z.number().int().describe('Runs of this backend queued for or dispatched to the host right now'),
    current_jobs: z.array(z.string()).optional().describe('Queue hosts: the operation ids it executes now'),
    last_seen: IsoTimestampSchema.nullable().describe('Last successful health check or registration heartbeat'),
    last_checked: IsoTimestampSchema.nullable(),
    latency_ms: z.number().nullable().describe('Of the last health check'),
    error: z.string().nullable().describe('Why the last check failed'),
  })
  .meta({ id: 'HostView' });
export type HostView = z.infer<typeof HostViewSchema>;

export const HostListSchema = z.object({ data: z.array(HostViewSchema) }).meta({ id: 'HostList' });
export type HostList = z.infer<typeof HostListSchema>;

export const HostRegisteredSchema = z
  .object({
    host: HostViewSchema,
    created: z.boolean().describe('False for a repeat (heartbeat)'),
    stale_after_seconds: z.number().describe('Heartbeat at least this often to stay listed as fresh'),
  })
  .meta({ id: 'HostRegistered' });
export type HostRegistered = z.infer<typeof HostRegisteredSchema>;
