import {
  ModelDetailSchema,
  ModelFileParamsSchema,
  ModelListQuerySchema,
  ModelListSchema,
  ModelParamsSchema,
  PredictParamsSchema,
  PredictRequestSchema,
  PredictResponseSchema,
} from '../../contracts/models.js';
import { z } from 'zod';
import { jsonRoute, streamRoute, type AnyRoute } from '../route.js';
import type { ModelCatalog } from '../services/model-catalog.js';

export function modelRoutes(models: ModelCatalog): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/models',
      tag: 'models',
      summary: 'Stored model versions',
      query: ModelListQuerySchema,
      status: 200,
      response: ModelListSchema,
      async handle({ query }) {
        return { data: await models.list(query.strategy) };
      },
    }),
    streamRoute({
      method: 'GET',
      url: '/models/:strategy/:version/files/:file',
      tag: 'models',
      summary: "Download one of a model version's files, as stored",
      description: 'Sent as an attachment named `{strategy}-v{version}-{file}`; `weights.bin` is the raw weights, the rest JSON or YAML.',
      params: ModelFileParamsSchema,
      contentType: 'application/octet-stream',
      eventSchema: z.string().describe('The file'),
      responseDescription: 'The file, as stored',
      errors: ['MODEL_NOT_FOUND', 'MODEL_CORRUPT'],
      async handle({ params }, _request, reply) {
        const { version, bytes } = await models.file(params.strategy, params.version === 'latest' ? 'latest' : Number(params.version), params.file);
        const type = params.file.endsWith('.json')
          ? 'application/json'
          : params.file.endsWith('.yaml')
            ? 'application/yaml'
            : 'application/octet-stream';
        await reply.type(type).header('content-disposition', `attachment; filename="${params.strategy}-v${version}-${params.file}"`).send(bytes);
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/models/:strategy/:version',
      tag: 'models',
      summary: 'One model version (`latest` for the newest): architecture, features, labels, metrics, manifest',
      params: ModelParamsSchema,
      status: 200,
      response: ModelDetailSchema,
      errors: ['MODEL_NOT_FOUND', 'MODEL_CORRUPT'],
      async handle({ params }) {
        return models.get(params.strategy, params.version === 'latest' ? 'latest' : Number(params.version));
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/models/:strategy/predict',
      access: 'read',
      tag: 'models',
      summary: "Signals from a stored model on a symbol's stored bars",
      params: PredictParamsSchema,
      body: PredictRequestSchema,
      status: 200,
      response: PredictResponseSchema,
      errors: ['MODEL_NOT_FOUND', 'DATA_NOT_FOUND', 'DATA_INSUFFICIENT', 'MODEL_CORRUPT'],
      async handle({ params, body }) {
        return models.predict(params.strategy, body);
      },
    }),
  ];
}
