import type { CsvReadingsOptions } from '@sluice/ingest-parsers';
import { z } from 'zod';
import { ApiError, type ApiErrorDetail } from '../http/api-error';

const columnName = z.string().min(1).max(256);
const columnList = z.array(columnName).min(1).max(1000);

/**
 * How to read an uploaded CSV. The same keys come from the query string (lists comma-separated:
 * `?format=wide&timeColumn=ts&tagColumns=site,room&timeFormat=epoch-ms`) or from a JSON `mapping`
 * (query parameter `mapping=<json>`, or a multipart field `mapping` sent before the `file` field);
 * JSON wins key by key. `units` (wide only, `{ "<column>": "<unit>" }`) is JSON-only.
 */
export const CsvUploadMappingSchema = z
  .object({
    format: z.enum(['long', 'wide']).default('long'),
    timeColumn: columnName.optional(),
    deviceColumn: columnName.optional(),
    metricColumn: columnName.optional(),
    valueColumn: columnName.optional(),
    unitColumn: columnName.optional(),
    tagColumns: columnList.optional(),
    metricColumns: columnList.optional(),
    units: z.record(columnName, z.string().min(1).max(32)).optional(),
    timeFormat: z.enum(['iso8601', 'epoch-s', 'epoch-ms', 'epoch-us', 'epoch-ns']).optional(),
    defaultDevice: z.string().min(1).max(128).optional(),
    delimiter: z
      .string()
      .refine((value) => [',', ';', '\t', '|'].includes(value), 'must be one of , ; | or a tab')
      .optional(),
  })
  .strict();

export type CsvUploadMapping = z.output<typeof CsvUploadMappingSchema>;

const LIST_KEYS = new Set(['tagColumns', 'metricColumns']);

/** Builds the mapping from query parameters and an optional JSON text; throws 400 naming the key. */
export function parseUploadMapping(
  query: Record<string, unknown>,
  mappingJson: string | undefined,
): CsvUploadMapping {
  const fromQuery: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === 'mapping' || typeof value !== 'string') continue;
    fromQuery[key] = LIST_KEYS.has(key)
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '')
      : value;
  }
  let fromJson: Record<string, unknown> = {};
  const json = mappingJson ?? (typeof query['mapping'] === 'string' ? query['mapping'] : undefined);
  if (json !== undefined) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('must be a JSON object');
      fromJson = parsed as Record<string, unknown>;
    } catch (error) {
      const message = `mapping is not a JSON object: ${(error as Error).message}`;
      throw new ApiError(400, 'invalid_mapping', message, [{ path: 'mapping', message }]);
    }
  }
  const result = CsvUploadMappingSchema.safeParse({ ...fromQuery, ...fromJson });
  if (!result.success) {
    const details: ApiErrorDetail[] = result.error.issues.map((issue) => ({
      path: issue.path.length > 0 ? `mapping.${issue.path.join('.')}` : 'mapping',
      message: issue.message,
    }));
    throw new ApiError(400, 'invalid_mapping', 'the column mapping is invalid', details);
  }
  return result.data;
}

/** The parser options of a mapping (`batchSize` rows per published batch). */
export function toCsvReadingsOptions(
  mapping: CsvUploadMapping,
  batchSize: number,
): CsvReadingsOptions {
  const common = {
    timeColumn: mapping.timeColumn,
    deviceColumn: mapping.deviceColumn,
    tagColumns: mapping.tagColumns,
  };
  return {
    mapping:
      mapping.format === 'long'
        ? {
            format: 'long',
            ...common,
            metricColumn: mapping.metricColumn,
            valueColumn: mapping.valueColumn,
            unitColumn: mapping.unitColumn,
          }
        : { format: 'wide', ...common, metricColumns: mapping.metricColumns, units: mapping.units },
    timeFormat: mapping.timeFormat,
    defaultDevice: mapping.defaultDevice,
    delimiter: mapping.delimiter,
    batchSize,
  };
}
