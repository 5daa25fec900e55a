import { Readable } from 'node:stream';
import { RawReadingSchema } from '@sluice/contracts';
import type { ParsedPoint, ParseError } from '../parse-result';
import { CsvFormatError, CsvHeaderError } from './csv.errors';
import type { CsvReadingsOptions } from './csv-mapping';
import { readCsvReadings } from './csv-readings.reader';

async function readAll(csv: string | string[], options: CsvReadingsOptions) {
  const chunks = typeof csv === 'string' ? [csv] : csv;
  const points: ParsedPoint[] = [];
  const errors: ParseError[] = [];
  let rowsRead = 0;
  for await (const batch of readCsvReadings(Readable.from(chunks), options)) {
    points.push(...batch.points);
    errors.push(...batch.errors);
    rowsRead = batch.rowsRead;
  }
  return { points, errors, rowsRead };
}

const LONG: CsvReadingsOptions = { mapping: { format: 'long' } };
const T0 = Date.UTC(2024, 0, 1);

describe('CSV readings reader', () => {
  it('reads the long format (time, device, metric, value, unit)', async () => {
    const csv = [
      'time,device,metric,value,unit',
      '2024-01-01T00:00:00Z,boiler-1,temperature,71.5,°C',
      '2024-01-01T00:01:00Z,boiler-1,pressure,1.2,',
    ].join('\n');
    const { points, errors, rowsRead } = await readAll(csv, LONG);
    expect(errors).toEqual([]);
    expect(rowsRead).toBe(2);
    expect(points).toEqual([
      {
        device: 'boiler-1',
        line: 2,
        readings: [{ metric: 'temperature', time: T0, value: 71.5, unit: '°C', tags: undefined }],
      },
      {
        device: 'boiler-1',
        line: 3,
        readings: [
          { metric: 'pressure', time: T0 + 60_000, value: 1.2, unit: undefined, tags: undefined },
        ],
      },
    ]);
    for (const point of points) RawReadingSchema.parse(point.readings[0]);
  });

  it('maps custom column names, tag columns and a default device', async () => {
    const csv = 'ts,what,reading,site\n1700000000,hum,40,"Hall, east"\n1700000001,hum,41,\n';
    const { points, errors } = await readAll(csv, {
      mapping: {
        format: 'long',
        timeColumn: 'ts',
        metricColumn: 'what',
        valueColumn: 'reading',
        tagColumns: ['site'],
      },
      timeFormat: 'epoch-s',
      defaultDevice: 'upload-7',
    });
    expect(errors).toEqual([]);
    expect(points.map((p) => [p.device, p.readings[0].time, p.readings[0].tags])).toEqual([
      ['upload-7', 1_700_000_000_000, { site: 'Hall, east' }],
      ['upload-7', 1_700_000_001_000, undefined],
    ]);
  });

  it('reads the wide format, one reading per metric column, skipping empty cells', async () => {
    const csv = [
      'time,device,temperature,humidity,co2',
      '1704067200000,room-1,21.5,40,600',
      '1704067260000,room-1,,41,',
      '1704067320000,room-2,19,,',
    ].join('\r\n');
    const { points, errors } = await readAll(csv, {
      mapping: { format: 'wide', units: { temperature: '°C', co2: 'ppm' } },
      timeFormat: 'epoch-ms',
    });
    expect(errors).toEqual([]);
    expect(
      points.map((p) => [p.line, p.device, p.readings.map((r) => [r.metric, r.value, r.unit])]),
    ).toEqual([
      [
        2,
        'room-1',
        [
          ['temperature', 21.5, '°C'],
          ['humidity', 40, undefined],
          ['co2', 600, 'ppm'],
        ],
      ],
      [3, 'room-1', [['humidity', 41, undefined]]],
      [4, 'room-2', [['temperature', 19, '°C']]],
    ]);
  });

  it('reads only the configured wide metric columns', async () => {
    const csv = 'time,device,a,b,notes\n2024-01-01,d1,1,2,hello\n';
    const { points } = await readAll(csv, { mapping: { format: 'wide', metricColumns: ['b'] } });
    expect(points[0].readings.map((r) => r.metric)).toEqual(['b']);
  });

  it('reports bad rows with their row number and column, and keeps the good ones', async () => {
    const csv = [
      'time,device,metric,value',
      '2024-01-01T00:00:00Z,d1,t,1',
      '2024-01-01T00:00:00Z,d1,t,abc',
      'noon,d1,t,1',
      '2024-01-01T00:00:00Z,bad device,t,1',
      '2024-01-01T00:00:00Z,d1,9t,1',
      '2024-01-01T00:00:00Z,d1,t,',
      '2024-01-01T00:00:00Z,d1,t,1e999',
      '2024-01-01T00:00:00Z,,t,1',
      '2024-01-01T00:00:00Z,d1,t,2',
    ].join('\n');
    const { points, errors, rowsRead } = await readAll(csv, LONG);
    expect(rowsRead).toBe(9);
    expect(points.map((p) => p.line)).toEqual([2, 10]);
    expect(errors.map((e) => e.message)).toEqual([
      'row 3, column "value": "abc" is not a number',
      'row 4, column "time": "noon" is not a valid ISO-8601 time',
      expect.stringMatching(/^row 5, column "device": device id "bad device" must be 1-128 chars/),
      expect.stringMatching(/^row 6, column "metric": metric "9t" must be 1-128 chars/),
      'row 7, column "value": missing value',
      'row 8, column "value": "1e999" is out of range',
      'row 9, column "device": missing device',
    ]);
    expect(errors[0]).toEqual({
      line: 3,
      column: 'value',
      reason: '"abc" is not a number',
      message: 'row 3, column "value": "abc" is not a number',
    });
  });

  it("names the file's own column in errors of a wide row", async () => {
    const csv = 'time,device,temp_c\n2024-01-01,d1,warm\n';
    const { errors } = await readAll(csv, { mapping: { format: 'wide' } });
    expect(errors.map((e) => e.message)).toEqual([
      'row 2, column "temp_c": "warm" is not a number',
    ]);
  });

  it('reads quoted fields with commas, quotes and newlines, counting rows like a spreadsheet', async () => {
    const csv = [
      'time,device,metric,value,note',
      '2024-01-01,d1,t,1,"a, b"',
      '2024-01-01,d1,t,2,"line one',
      'line two"',
      '',
      '2024-01-01,d1,t,3,"say ""hi"""',
      '2024-01-01,d1,t,x,',
    ].join('\n');
    const { points, errors } = await readAll(csv, {
      mapping: { format: 'long', tagColumns: ['note'] },
    });
    expect(points.map((p) => [p.line, p.readings[0].value, p.readings[0].tags])).toEqual([
      [2, 1, { note: 'a, b' }],
      [3, 2, { note: 'line one\nline two' }],
      [5, 3, { note: 'say "hi"' }],
    ]);
    expect(errors.map((e) => e.line)).toEqual([6]);
  });

  it('ignores a UTF-8 byte order mark before the header', async () => {
    const csv = '\uFEFFtime,device,metric,value\n2024-01-01,d1,t,1\n';
    const { points, errors } = await readAll(csv, LONG);
    expect(errors).toEqual([]);
    expect(points).toHaveLength(1);
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('time,device,metric,value\n2024-01-01,d1,t,1\n'),
    ]);
    const fromBytes = [];
    for await (const batch of readCsvReadings(Readable.from([bytes]), LONG))
      fromBytes.push(...batch.points);
    expect(fromBytes).toHaveLength(1);
  });

  it('refuses a header that does not fit the mapping, listing every problem', async () => {
    await expect(readAll('time,metric,metric\n', LONG)).rejects.toEqual(
      new CsvHeaderError([
        'column "metric" appears twice',
        'missing column "device"',
        'missing column "value"',
      ]),
    );
    await expect(
      readAll('time,device,bad column\n', { mapping: { format: 'wide' } }),
    ).rejects.toThrow(/column "bad column" is not a valid metric name/);
  });

  it('stops with the line number where the file stops being CSV', async () => {
    const csv = 'time,device,metric,value\n2024-01-01,d1,t,1\n2024-01-01,d1,t,"2\n';
    const error = await readAll(csv, LONG).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsvFormatError);
    expect(error).toMatchObject({ code: 'CSV_QUOTE_NOT_CLOSED' });
  });

  it('refuses a record larger than the maximum instead of buffering it', async () => {
    const csv = `time,device,metric,value\n2024-01-01,d1,t,"${'9'.repeat(5000)}`;
    await expect(readAll(csv, { ...LONG, maxRecordSize: 1000 })).rejects.toThrow(CsvFormatError);
  });

  it('streams a 200k-row file: batches come out before the input ends, without reading far ahead', async () => {
    const totalRows = 200_000;
    const rowsPerChunk = 500;
    let rowsProduced = 0;
    async function* file() {
      yield 'time,device,metric,value\n';
      for (let chunk = 0; chunk < totalRows / rowsPerChunk; chunk++) {
        let text = '';
        for (let i = 0; i < rowsPerChunk; i++) {
          const row = rowsProduced + i;
          text += `${1_700_000_000_000 + row},dev-${row % 10},m,${row}\n`;
        }
        rowsProduced += rowsPerChunk;
        yield text;
      }
    }
    let rowsConsumed = 0;
    let producedAtFirstBatch = -1;
    let maxReadAhead = 0;
    let valueSum = 0;
    for await (const batch of readCsvReadings(file(), {
      ...LONG,
      timeFormat: 'epoch-ms',
      batchSize: 1000,
    })) {
      if (producedAtFirstBatch < 0) producedAtFirstBatch = rowsProduced;
      expect(batch.errors).toEqual([]);
      rowsConsumed += batch.points.length;
      for (const point of batch.points) valueSum += point.readings[0].value;
      maxReadAhead = Math.max(maxReadAhead, rowsProduced - rowsConsumed);
    }
    expect(rowsConsumed).toBe(totalRows);
    expect(valueSum).toBe((totalRows * (totalRows - 1)) / 2);
    expect(producedAtFirstBatch).toBeLessThan(totalRows / 20);
    // Only the streams' small buffers sit between the file and the consumer.
    expect(maxReadAhead).toBeLessThan(totalRows / 20);
  });
});
