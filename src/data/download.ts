/**
 * Downloading dataset files (torchvision.datasets.utils): HTTP(S) with
 * redirects, a temp file renamed into place once its checksum matches, and
 * a small tar reader for the CIFAR archives.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { defaultDataRoot } from './root.js';

export interface DownloadOptions {
  /** Expected SHA-256 (hex) of the file. */
  sha256?: string | null;
  /** Expected MD5 (hex) of the file. */
  md5?: string | null;
  /** Called as bytes arrive: (bytes so far, total from Content-Length or null). */
  onProgress?: ((received: number, total: number | null) => void) | null;
  /** Download even when `dest` exists and matches the checksums (default false). */
  force?: boolean;
  /** Abort when no data arrives for this long (default 60 s). */
  timeoutMs?: number;
  /** Redirects to follow (default 10). */
  maxRedirects?: number;
}

function hashFile(path: string, algorithm: 'md5' | 'sha256'): string {
  return createHash(algorithm).update(readFileSync(path)).digest('hex');
}

function checksums(options: DownloadOptions): ['md5' | 'sha256', string][] {
  const out: ['md5' | 'sha256', string][] = [];
  if (options.md5) out.push(['md5', options.md5.toLowerCase()]);
  if (options.sha256) out.push(['sha256', options.sha256.toLowerCase()]);
  return out;
}

function open(url: string, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new Error(`download: not a valid URL: ${url}`));
      return;
    }
    const get = parsed.protocol === 'https:' ? httpsGet : parsed.protocol === 'http:' ? httpGet : null;
    if (!get) {
      reject(new Error(`download: unsupported protocol ${parsed.protocol} in ${url} (expected http or https)`));
      return;
    }
    const req = get(parsed, { headers: { 'user-agent': 'strata-data' } }, resolvePromise);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(new Error(`download: request for ${url} failed: ${e.message}`)));
  });
}

/**
 * Download `url` to `dest` (torchvision's download_url): follows redirects,
 * streams into a temp file beside `dest`, checks the md5/sha256 when given
 * and renames the file into place only when they match. When `dest` already
 * exists and matches (or no checksum is given) nothing is downloaded.
 * Resolves to `dest`.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  const { onProgress = null, force = false, timeoutMs = 60_000, maxRedirects = 10 } = options;
  const sums = checksums(options);
  dest = resolve(dest);
  if (!force && existsSync(dest) && sums.every(([alg, want]) => hashFile(dest, alg) === want)) return dest;
  mkdirSync(dirname(dest), { recursive: true });

  let current = url;
  let res: IncomingMessage;
  for (let hops = 0; ; hops++) {
    res = await open(current, timeoutMs);
    const code = res.statusCode ?? 0;
    if (code >= 300 && code < 400 && res.headers.location) {
      res.resume();
      if (hops >= maxRedirects) throw new Error(`download: too many redirects (more than ${maxRedirects}) for ${url}`);
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    if (code < 200 || code >= 300) {
      res.resume();
      throw new Error(`download: HTTP ${code} ${res.statusMessage ?? ''} for ${current}`.trimEnd());
    }
    break;
  }

  const lengthHeader = res.headers['content-length'];
  const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  const hashes = sums.map(([alg]) => createHash(alg));
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      for (const h of hashes) h.update(chunk);
      onProgress?.(received, total);
      done(null, chunk);
    },
  });
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${Date.now()}.part`);
  try {
    try {
      await pipeline(res, meter, createWriteStream(tmp));
    } catch (e) {
      throw new Error(`download: transfer of ${current} failed after ${received} bytes: ${(e as Error).message}`);
    }
    if (total !== null && received !== total) {
      throw new Error(`download: ${current} ended after ${received} of ${total} bytes (connection closed early)`);
    }
    sums.forEach(([alg, want], k) => {
      const got = hashes[k].digest('hex');
      if (got !== want) throw new Error(`download: checksum mismatch for ${current}: expected ${alg} ${want}, got ${got}; the file was not saved`);
    });
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
  return dest;
}

/** Try each URL in turn; the error lists every attempt. */
async function downloadFromMirrors(urls: readonly string[], dest: string, options: DownloadOptions): Promise<string> {
  const errors: string[] = [];
  for (const url of urls) {
    try {
      return await download(url, dest, options);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(`download: could not get ${basename(dest)} from any mirror:\n  ${errors.join('\n  ')}`);
}

export interface DatasetDownloadOptions {
  /** Base URLs to try in order (each ends with '/'); defaults to the standard mirrors. */
  mirrors?: readonly string[];
  onProgress?: ((file: string, received: number, total: number | null) => void) | null;
}

/** The four MNIST files and their MD5s (as published; the .gz files are kept and read directly). */
export const MNIST_RESOURCES: readonly [string, string][] = [
  ['train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
  ['train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432'],
  ['t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3'],
  ['t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c'],
];
const MNIST_MIRRORS = ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'];

const FASHION_RESOURCES: readonly [string, string][] = [
  ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
  ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
  ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
  ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
];
const FASHION_MIRRORS = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

async function downloadIdxSet(folder: string, resources: readonly [string, string][], mirrors: readonly string[], options: DatasetDownloadOptions) {
  for (const [file, md5] of resources) {
    const onProgress = options.onProgress ? (r: number, t: number | null) => options.onProgress!(file, r, t) : null;
    await downloadFromMirrors(mirrors.map((m) => m + file), join(folder, file), { md5, onProgress });
  }
  return folder;
}

/** Fetch MNIST into `root/mnist` (files already there with the right MD5 are kept). Resolves to that folder. */
export function downloadMNIST(root?: string | null, options: DatasetDownloadOptions = {}): Promise<string> {
  return downloadIdxSet(join(dataRootForWriting(root), 'mnist'), MNIST_RESOURCES, options.mirrors ?? MNIST_MIRRORS, options);
}

/** Fetch Fashion-MNIST into `root/fashion-mnist`. */
export function downloadFashionMNIST(root?: string | null, options: DatasetDownloadOptions = {}): Promise<string> {
  return downloadIdxSet(join(dataRootForWriting(root), 'fashion-mnist'), FASHION_RESOURCES, options.mirrors ?? FASHION_MIRRORS, options);
}

function dataRootForWriting(root?: string | null): string {
  return root ? resolve(root) : defaultDataRoot();
}

export interface ArchiveDownloadOptions {
  /** Archive URL (default the official one). */
  url?: string;
  /** Its MD5 (default the official archive's; null to skip the check). */
  md5?: string | null;
  onProgress?: ((received: number, total: number | null) => void) | null;
  /** Keep the downloaded .tar.gz next to the folder (default true: a later call then skips the download). */
  keepArchive?: boolean;
}

async function downloadArchive(
  root: string | null | undefined,
  folderName: string,
  expected: readonly [string, number][],
  archive: { url: string; md5: string; file: string; prefix: string },
  options: ArchiveDownloadOptions,
): Promise<string> {
  const base = dataRootForWriting(root);
  const folder = join(base, folderName);
  const complete = () => expected.every(([f, size]) => existsSync(join(folder, f)) && statSync(join(folder, f)).size === size);
  if (complete()) return folder;
  const tarPath = join(base, archive.file);
  await download(options.url ?? archive.url, tarPath, {
    md5: options.md5 === undefined ? archive.md5 : options.md5,
    onProgress: options.onProgress,
  });
  extractTarGz(tarPath, folder, { strip: 1, filter: (name) => name.startsWith(archive.prefix) });
  if (!(options.keepArchive ?? true)) rmSync(tarPath, { force: true });
  if (!complete()) {
    const missing = expected.filter(([f, size]) => !existsSync(join(folder, f)) || statSync(join(folder, f)).size !== size).map(([f]) => f);
    throw new Error(`download: ${tarPath} did not contain the expected files (missing or wrong size: ${missing.join(', ')})`);
  }
  return folder;
}

const CIFAR10_BATCH_BYTES = 10000 * 3073;

/**
 * Fetch the CIFAR-10 binary archive (md5 c32a1d4ab5d03f1284b67883e8d87530)
 * and extract its batches into `root/cifar-10`. Skipped when the batches are
 * already there. Resolves to the folder.
 */
export function downloadCIFAR10(root?: string | null, options: ArchiveDownloadOptions = {}): Promise<string> {
  const files: [string, number][] = [
    ...[1, 2, 3, 4, 5].map((k): [string, number] => [`data_batch_${k}.bin`, CIFAR10_BATCH_BYTES]),
    ['test_batch.bin', CIFAR10_BATCH_BYTES],
  ];
  return downloadArchive(root, 'cifar-10', files, {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    file: 'cifar-10-binary.tar.gz',
    prefix: 'cifar-10-batches-bin/',
  }, options);
}

/** Fetch the CIFAR-100 binary archive (md5 03b5dce01913d631647c71ecec9e9cb8) into `root/cifar-100`. */
export function downloadCIFAR100(root?: string | null, options: ArchiveDownloadOptions = {}): Promise<string> {
  return downloadArchive(root, 'cifar-100', [['train.bin', 50000 * 3074], ['test.bin', 10000 * 3074]], {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    md5: '03b5dce01913d631647c71ecec9e9cb8',
    file: 'cifar-100-binary.tar.gz',
    prefix: 'cifar-100-binary/',
  }, options);
}

// ---- tar ------------------------------------------------------------------------------------------

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
  /** The file's bytes (a view into the archive). */
  data: Uint8Array;
}

function field(block: Uint8Array, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return Buffer.from(end >= 0 ? raw.subarray(0, end) : raw).toString('utf8');
}

function octal(block: Uint8Array, start: number, length: number, what: string): number {
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: bad ${what} field '${text}' in the entry header`);
  return parseInt(text, 8);
}

/**
 * Entries of an uncompressed tar archive (ustar, with GNU long names and pax
 * path records). Header checksums and sizes are checked; `source` names the
 * archive in errors.
 */
export function readTar(bytes: Uint8Array, source = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | null = null;
  while (at + 512 <= bytes.length) {
    const block = bytes.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break; // end-of-archive marker
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
    const stored = octal(block, 148, 8, 'checksum');
    if (stored !== sum) throw new Error(`tar: ${source} is corrupt: header checksum mismatch at byte ${at}`);
    const size = octal(block, 124, 12, 'size');
    const type = String.fromCharCode(block[156] || 0x30);
    const dataStart = at + 512;
    if (dataStart + size > bytes.length) {
      throw new Error(`tar: ${source} is truncated: entry '${field(block, 0, 100)}' needs ${size} bytes at ${dataStart}, the archive has ${bytes.length}`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      if (path) longName = path[1];
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(block, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    longName = null;
    entries.push({ name, type: type === '0' || type === '7' ? 'file' : type === '5' ? 'directory' : 'other', data });
  }
  return entries;
}

/**
 * Extract a .tar.gz (or .tar) into `destDir`: regular files only, dropping
 * the first `strip` path components, taking only names `filter` accepts.
 * Names that would escape destDir are rejected. Returns the written paths.
 */
export function extractTarGz(archivePath: string, destDir: string, options: { strip?: number; filter?: (name: string) => boolean } = {}): string[] {
  const { strip = 0, filter = () => true } = options;
  let bytes: Uint8Array = readFileSync(archivePath);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`tar: cannot decompress ${archivePath}: ${(e as Error).message}`);
    }
  }
  const root = resolve(destDir);
  const written: string[] = [];
  for (const entry of readTar(bytes, archivePath)) {
    if (entry.type !== 'file' || !filter(entry.name)) continue;
    const parts = entry.name.split('/').filter((p) => p !== '' && p !== '.');
    const rel = parts.slice(strip).join('/');
    if (!rel) continue;
    if (isAbsolute(entry.name) || parts.includes('..')) throw new Error(`tar: ${archivePath} has an unsafe entry name '${entry.name}'`);
    const target = resolve(root, normalize(rel));
    if (!target.startsWith(root + sep)) throw new Error(`tar: ${archivePath} has an unsafe entry name '${entry.name}'`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
    written.push(target);
  }
  return written;
}
