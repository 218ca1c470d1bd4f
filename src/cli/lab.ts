/**
 * `strata lab`: serve Strata Lab (the Playground, the CNN lab and the filter
 * bench: static pages built by Vite into `dist-web/`) and the data sets the
 * pages read under `/data/...` (MNIST IDX files, sample photos).
 *
 *   strata lab [--port N] [--host H] [--data DIR]
 *   npm run lab -- --port 8080
 *
 * Node-only: this file is never bundled into the pages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface LabOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Data directory (folders `mnist/`, `photos/`); default $STRATA_DATA, else ../shared/data. */
  dataDir?: string;
  /** Folder of the built pages; default `dist-web/` of this package. */
  webDir?: string;
  /** Print the URL (default true). */
  log?: boolean;
}

export interface LabServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.gz': 'application/gzip',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp']);
const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** The default data directory: $STRATA_DATA, else ../shared/data (from the working directory). */
export function defaultDataDir(): string {
  return resolve(process.env.STRATA_DATA || join('..', 'shared', 'data'));
}

/** The folder of the built pages shipped with this package (`dist-web/` at the package root). */
export function defaultWebDir(): string {
  // src/cli/lab.ts and dist/cli/lab.js are both two levels below the package root.
  return fileURLToPath(new URL('../../dist-web/', import.meta.url));
}

/** What the pages can load: `/data/index.json`. */
export function dataIndex(dataDir: string): { mnist: string[]; photos: string[] } {
  const mnistDir = join(dataDir, 'mnist');
  const mnist = MNIST_FILES.flatMap((f) =>
    existsSync(join(mnistDir, `${f}.gz`)) ? [`mnist/${f}.gz`] : existsSync(join(mnistDir, f)) ? [`mnist/${f}`] : [],
  );
  const photosDir = join(dataDir, 'photos');
  const photos = existsSync(photosDir)
    ? readdirSync(photosDir).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort().map((f) => `photos/${f}`)
    : [];
  return { mnist, photos };
}

/** Resolve a URL path inside `root`, or null when it escapes it or does not name a file. */
function safeFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + sep + normalize(decoded).replace(/^([/\\])+/, ''));
  if (full !== base && !full.startsWith(base + sep)) return null;
  try {
    const st = statSync(full);
    if (st.isDirectory()) {
      const index = join(full, 'index.html');
      return existsSync(index) ? index : null;
    }
    return st.isFile() ? full : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache: string): void {
  const size = statSync(file).size;
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cache,
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The request handler (exported for tests). */
export function labHandler(webDir: string, dataDir: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/data/index.json') {
      send(res, 200, JSON.stringify(dataIndex(dataDir)), TYPES['.json']);
      return;
    }
    if (path.startsWith('/data/')) {
      const file = safeFile(dataDir, path.slice('/data/'.length));
      if (file) sendFile(req, res, file, 'public, max-age=3600');
      else send(res, 404, `not found: ${path}`);
      return;
    }
    const file = safeFile(webDir, path);
    if (file) sendFile(req, res, file, path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    else send(res, 404, `not found: ${path}`);
  };
}

/** Start the lab server; resolves once it listens. */
export async function runLab(options: LabOptions = {}): Promise<LabServer> {
  const webDir = resolve(options.webDir ?? defaultWebDir());
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new Error(`lab: the pages are not built (no ${join(webDir, 'index.html')}); run \`npm run build:web\` first`);
  }
  const host = options.host ?? '127.0.0.1';
  const server = createServer(labHandler(webDir, dataDir));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  if (options.log !== false) {
    const idx = dataIndex(dataDir);
    console.log(`Strata Lab: ${url}`);
    console.log(`  playground ${url}playground/   cnn lab ${url}cnn-lab/   filter bench ${url}filter-bench/`);
    console.log(`  data: ${dataDir} (${idx.mnist.length === 4 ? 'MNIST' : 'no MNIST'}, ${idx.photos.length} photos)`);
  }
  return {
    url,
    port,
    server,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}

/** Parse `[--port N] [--host H] [--data DIR]`. */
export function parseLabArgs(argv: readonly string[]): LabOptions {
  const options: LabOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`lab: ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const p = Number(value());
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`lab: --port expects an integer 0..65535, got ${argv[i]}`);
        options.port = p;
        break;
      }
      case '--host': options.host = value(); break;
      case '--data': options.dataDir = value(); break;
      default: throw new Error(`lab: unknown argument ${arg}; usage: strata lab [--port N] [--host H] [--data DIR]`);
    }
  }
  return options;
}

// Run directly: `tsx src/cli/lab.ts --port 8080` (npm run lab).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runLab(parseLabArgs(process.argv.slice(2))).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
