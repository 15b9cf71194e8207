import {
  CancelRequestSchema,
  CancelResponseSchema,
  EventsQuerySchema,
  ListOperationsQuerySchema,
  LogsQuerySchema,
  MetricsQuerySchema,
  OperationEventSchema,
  OperationIdParamsSchema,
  OperationListSchema,
  OperationLogsSchema,
  OperationMetricsSchema,
  OperationSchema,
} from '../../contracts/operations.js';
import { KtrdrError } from '../../errors.js';
import type { TrainingService } from '../../trainings/training-service.js';
import type { OperationStatus } from '../../operations/operation.js';
import { eventView, logLinesView, operationView } from '../operation-view.js';
import { jsonRoute, streamRoute, type AnyRoute } from '../route.js';
import type { OperationQueries } from '../services/operation-queries.js';
import { lastEventId, openSseStream, type SseConnections } from '../sse.js';

export function operationRoutes(operations: OperationQueries, training: TrainingService, streams: SseConnections): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/operations',
      tag: 'operations',
      summary: 'List operations, newest first',
      query: ListOperationsQuerySchema,
      status: 200,
      response: OperationListSchema,
      async handle({ query }) {
        const page = await operations.list({
          status: query.status?.split(',') as OperationStatus[] | undefined,
          type: query.type,
          strategy: query.strategy,
          limit: query.limit,
          cursor: query.cursor,
        });
        const now = new Date();
        return { data: page.data.map((op) => operationView(op, now)), next_cursor: page.next_cursor, total: page.total };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/operations/:id',
      tag: 'operations',
      summary: 'One operation: status, latest progress, execution record, error or result',
      params: OperationIdParamsSchema,
      status: 200,
      response: OperationSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params }) {
        return operationView(await operations.get(params.id));
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/operations/:id/metrics',
      tag: 'operations',
      summary: 'Per-epoch metrics as a flat list, one record per epoch',
      params: OperationIdParamsSchema,
      query: MetricsQuerySchema,
      status: 200,
      response: OperationMetricsSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params, query }) {
        return { operation_id: params.id, ...(await operations.metrics(params.id, query.since_epoch)) };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/operations/:id/logs',
      tag: 'operations',
      summary: "The run's log lines (numbered steps at info, details at debug)",
      params: OperationIdParamsSchema,
      query: LogsQuerySchema,
      status: 200,
      response: OperationLogsSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params, query }) {
        return logLinesView(params.id, await operations.logs(params.id, query.level));
      },
    }),
    streamRoute({
      method: 'GET',
      url: '/operations/:id/events',
      tag: 'operations',
      summary: 'Server-Sent Events: progress, log, metric and status events; ends after the terminal status',
      description:
        'Each event has `id:` = seq, `event:` = kind and `data:` = the event as JSON. Resume with the `Last-Event-ID` header or `?after=<seq>`; nothing is missed or repeated.',
      params: OperationIdParamsSchema,
      query: EventsQuerySchema,
      contentType: 'text/event-stream',
      eventSchema: OperationEventSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params, query }, request, reply) {
        const fromHeader = lastEventId(request);
        if (fromHeader === null) throw new KtrdrError('VALIDATION_FAILED', 'Last-Event-ID must be an event seq (a non-negative integer)');
        const after = fromHeader ?? query.after ?? 0;
        // Fails with 404 before the response is taken over, so an unknown id gets the normal error body.
        await operations.get(params.id);
        const stream = openSseStream(reply);
        streams.track(stream);
        try {
          const stop = await operations.follow(params.id, after, {
            send: (event) => stream.send(event.seq, event.kind, eventView(event)),
            end: () => stream.end(),
          });
          stream.onClose(stop);
        } catch (error) {
          // The response is already an event stream; the only honest signal left is to end it.
          request.log.error({ err: error, operation_id: params.id }, 'event stream failed');
          stream.end();
        }
      },
    }),
    jsonRoute({
      method: 'DELETE',
      url: '/operations/:id',
      access: 'train',
      tag: 'operations',
      summary: 'Cancel an operation',
      description:
        'Answers `cancelling` while the run stops (it becomes `cancelled` once the run confirms), or `cancelled` for a run that had not started.',
      params: OperationIdParamsSchema,
      body: CancelRequestSchema,
      status: 202,
      response: CancelResponseSchema,
      errors: ['OPERATION_NOT_FOUND', 'OPERATION_FINISHED'],
      async handle({ params, body }) {
        const operation = await training.cancel(params.id, body?.reason);
        return { operation_id: operation.id, status: operation.status };
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/operations/:id/resume',
      access: 'train',
      tag: 'operations',
      summary: 'Resume a failed or cancelled training from its newest checkpoint',
      description:
        'The run continues as the same operation: its status goes back to `running` through a recorded `resumed` transition (the `status` event carries `resumed: {epoch, total_epochs}`), and its progress, logs and per-epoch metrics continue where they stopped, with no epoch recorded twice. The resumed run ends bit-identical to one never interrupted. A training without a checkpoint is refused with 409 `NO_CHECKPOINT`; a completed one stays completed (`OPERATION_FINISHED`).',
      params: OperationIdParamsSchema,
      status: 200,
      response: OperationSchema,
      errors: ['OPERATION_NOT_FOUND', 'NO_CHECKPOINT', 'OPERATION_FINISHED', 'INVALID_TRANSITION', 'SHUTTING_DOWN'],
      async handle({ params }) {
        return operationView(await training.resume(params.id));
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/operations/:id/save',
      access: 'train',
      tag: 'operations',
      summary: 'Save the model a failed save left waiting',
      description:
        'A run whose model could not be written (`STORAGE_FULL`, `MODEL_SAVE_FAILED`) keeps it aside; the server retries on its own, and this saves it now. The operation stays `failed` and gets the model as its `result` (`recovered: true`). Exactly once: a model saved before answers 200 with the operation as it is.',
      params: OperationIdParamsSchema,
      status: 200,
      response: OperationSchema,
      errors: ['OPERATION_NOT_FOUND', 'NO_KEPT_MODEL', 'INVALID_TRANSITION', 'STORAGE_FULL', 'MODEL_SAVE_FAILED'],
      async handle({ params }) {
        return operationView(await training.saveKeptModel(params.id));
      },
    }),
  ];
}
