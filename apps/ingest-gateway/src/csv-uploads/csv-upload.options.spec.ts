import { ApiError } from '../http/api-error';
import { parseUploadMapping, toCsvReadingsOptions } from './csv-upload.options';

describe('CSV upload mapping', () => {
  it('defaults to the long layout with the parser’s default column names', () => {
    const mapping = parseUploadMapping({}, undefined);
    expect(mapping).toEqual({ format: 'long' });
    expect(toCsvReadingsOptions(mapping, 5000)).toEqual({
      mapping: {
        format: 'long',
        timeColumn: undefined,
        deviceColumn: undefined,
        tagColumns: undefined,
        metricColumn: undefined,
        valueColumn: undefined,
        unitColumn: undefined,
      },
      timeFormat: undefined,
      defaultDevice: undefined,
      delimiter: undefined,
      batchSize: 5000,
    });
  });

  it('reads query parameters, lists comma-separated, and lets a JSON mapping win key by key', () => {
    const mapping = parseUploadMapping(
      { format: 'wide', timeColumn: 'ts', tagColumns: 'site, room', timeFormat: 'epoch-ms' },
      JSON.stringify({ timeColumn: 'when', units: { temperature: 'C' } }),
    );
    expect(mapping).toEqual({
      format: 'wide',
      timeColumn: 'when',
      tagColumns: ['site', 'room'],
      timeFormat: 'epoch-ms',
      units: { temperature: 'C' },
    });
    expect(toCsvReadingsOptions(mapping, 10).mapping).toMatchObject({
      format: 'wide',
      timeColumn: 'when',
      units: { temperature: 'C' },
    });
  });

  it('takes the JSON mapping from the query when no multipart field carries one', () => {
    expect(parseUploadMapping({ mapping: '{"deviceColumn":"sensor"}' }, undefined)).toEqual({
      format: 'long',
      deviceColumn: 'sensor',
    });
  });

  it.each([
    [{ format: 'tall' }, undefined, 'mapping.format'],
    [{ timeFormat: 'epoch-days' }, undefined, 'mapping.timeFormat'],
    [{ delimiter: 'x' }, undefined, 'mapping.delimiter'],
    [{ colour: 'red' }, undefined, 'mapping'],
    [{}, '{"format":', 'mapping'],
    [{}, '[1]', 'mapping'],
  ])('refuses %j / %s with a 400 naming %s', (query, json, path) => {
    let error: unknown;
    try {
      parseUploadMapping(query, json);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).details.map((detail) => detail.path)).toContain(path);
  });
});
