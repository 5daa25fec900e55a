/**
 * Sizes libuv's thread pool for the standalone broker. Every fs call of the storage layer (writes,
 * fsync with `--fsync always`, reads for Fetch) runs on that pool, and its default of 4 threads
 * serialises fsyncs of different partitions: with 16 the storage benchmark appends ~60% more.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool is first used (the first async fs, dns.lookup,
 * crypto or zlib call), so it must be set before that. ES imports are hoisted above a module's own
 * statements (and SWC emits them as requires in import order), so this assignment lives in its own
 * module, imported first by cli.ts: it runs before any other import can start async I/O.
 * An operator's own UV_THREADPOOL_SIZE wins.
 *
 * Caveat (checked with FIFO opens that each pin a pool thread): under `node -r @swc-node/register`
 * a transform-cache miss writes the cache entry with async fs *before* the compiled module body
 * runs, which starts the pool at its default size; with a warm cache (every later run of unchanged
 * files) this module is in time. Only a launcher that sets the variable before any TypeScript is
 * compiled (or the environment of `npm run broker`) makes it hold on the first run too.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
