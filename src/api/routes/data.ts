import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { DATA_SHA256_HEADER, DataSeriesBodySchema, DataSeriesParamsSchema } from '../../contracts/data.js';
import { streamRoute, type AnyRoute } from '../route.js';
import type { DataFiles } from '../services/data-files.js';

export function dataRoutes(files: DataFiles, guard: (request: FastifyRequest) => void): AnyRoute[] {
  return [
    streamRoute({
      method: 'GET',
      url: '/data/:symbol/:timeframe',
      tag: 'data',
      summary: 'One market data series, for training hosts',
      description: `The exact bytes of \`{SYMBOL}_{TF}.csv\`, gzip-compressed (\`Content-Encoding: gzip\`), with the sha256 of the uncompressed file in \`${DATA_SHA256_HEADER}\`. Bearer token required (KTRDR_HOST_TOKEN).`,
      params: DataSeriesParamsSchema,
      guard,
      contentType: 'text/csv',
      eventSchema: DataSeriesBodySchema,
      responseDescription: 'The CSV file, gzip content encoding',
      errors: ['UNAUTHORIZED', 'INVALID_NAME', 'DATA_NOT_FOUND'],
      async handle({ params }, _request, reply) {
        const file = await files.open(params.symbol, params.timeframe);
        // Streamed: a series can be far larger than anything worth holding in memory.
        void reply
          .code(200)
          .type('text/csv; charset=utf-8')
          .header('content-encoding', 'gzip')
          .header(DATA_SHA256_HEADER, file.sha256)
          .header('content-disposition', `attachment; filename="${file.name}"`)
          // A read error destroys the gzip stream too, which ends the response early rather than hanging it.
          .send(pipeline(file.stream, createGzip(), () => undefined));
      },
    }),
  ];
}
