import { z } from 'zod';

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    uptime_seconds: z.number(),
    operations: z.object({ pending: z.number().int(), running: z.number().int(), cancelling: z.number().int() }),
    local: z.object({
      device: z.string(),
      slots: z.number().int().describe('runs at once: KTRDR_LOCAL_CONCURRENCY cores / KTRDR_THREADS_PER_RUN per run'),
      running: z.number().int(),
      queued: z.number().int(),
    }),
    auth: z
      .object({
        tokens_required: z.boolean().describe('whether API tokens are required (always off loopback; on loopback once one exists)'),
        warning: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof HealthSchema>;
