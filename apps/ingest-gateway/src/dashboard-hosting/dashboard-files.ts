import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, normalize, sep } from 'node:path';

/** Paths the dashboard never answers: they belong to the API, the live socket and operations. */
const NOT_DASHBOARD = /^\/(api|ws|metrics|health|write|ping)(\/|$)/;

/** An app route (answered with index.html) rather than a file: no extension, not under /assets. */
export function isAppRoute(urlPath: string): boolean {
  const decoded = safeDecode(urlPath);
  return (
    decoded !== undefined &&
    !hasParentSegment(decoded) &&
    !NOT_DASHBOARD.test(urlPath) &&
    !urlPath.startsWith('/assets/') &&
    !/\.[a-z0-9]+$/i.test(urlPath)
  );
}

function safeDecode(urlPath: string): string | undefined {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
}

function hasParentSegment(path: string): boolean {
  return path.split(/[/\\]/).includes('..') || path.includes('\0');
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';

export interface DashboardFile {
  /** Path relative to the dist folder. */
  file: string;
  cacheControl: string;
  contentType: string;
  stats: Stats;
  /** Weak validator from size and mtime, for If-None-Match revalidation of no-cache files. */
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  webmanifest: 'application/manifest+json; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * Maps a request path to the file of the built dashboard that answers it. Vite puts every hashed
 * (content-addressed) file under /assets, so those may be cached forever; index.html, the service
 * worker and the manifest must be revalidated each time or clients would keep an old app.
 * A path that is no file is an app route (SPA): index.html answers it.
 */
export async function resolveDashboardFile(
  distDir: string,
  urlPath: string,
): Promise<DashboardFile | undefined> {
  if (NOT_DASHBOARD.test(urlPath)) return undefined;
  const decoded = safeDecode(urlPath);
  // Refused before normalising: normalize('/../../etc') would quietly become '/etc'.
  if (decoded === undefined || hasParentSegment(decoded)) return undefined;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  const stats = relative === '' ? undefined : await fileStats(join(distDir, relative));
  if (stats !== undefined) return describe(relative, stats, cacheControlFor(relative));
  // A missing asset must not be answered with HTML (a stale page asking for an old chunk would
  // get index.html as JavaScript); only extension-less paths are app routes.
  if (relative.startsWith(`assets${sep}`) || /\.[a-z0-9]+$/i.test(relative)) return undefined;
  const index = await fileStats(join(distDir, 'index.html'));
  return index === undefined ? undefined : describe('index.html', index, REVALIDATE);
}

function describe(file: string, stats: Stats, cacheControl: string): DashboardFile {
  const extension = /\.([a-z0-9]+)$/i.exec(file)?.[1].toLowerCase() ?? '';
  return {
    file,
    cacheControl,
    contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    stats,
    etag: `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
  };
}

export function cacheControlFor(relative: string): string {
  if (relative.startsWith('assets/') || relative.startsWith(`assets${sep}`)) return IMMUTABLE;
  if (relative === 'index.html' || relative === 'sw.js' || relative.endsWith('.webmanifest')) {
    return REVALIDATE;
  }
  // workbox-<hash>.js is content-addressed too but sits at the root; everything else is short.
  if (/^workbox-[0-9a-f]{8}\.js$/.test(relative)) return IMMUTABLE;
  return SHORT;
}

async function fileStats(path: string): Promise<Stats | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}
