import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as data from '../../src/data/index.js';
import { missing, realDataRoot } from './helpers.js';

const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251));
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: Server;
let base: string;
let requests: string[] = [];
/** Extra routes: path → bytes served with 200. */
const files = new Map<string, Uint8Array>();

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    if (url === '/file.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (url === '/chunked.bin') {
      res.writeHead(200);
      res.write(payload.subarray(0, 1000));
      setTimeout(() => res.end(payload.subarray(1000)), 5);
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/file.bin' });
      res.end();
    } else if (url === '/loop') {
      res.writeHead(301, { location: `${base}/loop` });
      res.end();
    } else if (url === '/short') {
      res.writeHead(200, { 'content-length': 5000 });
      res.write(payload.subarray(0, 100));
      setTimeout(() => res.destroy(), 5);
    } else if (url.startsWith('/good/') && files.has(url.slice(5))) {
      const body = files.get(url.slice(5))!;
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404, 'Not Found');
      res.end('no such file');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.part'));

test('download saves the file atomically after checking md5 / sha256, with progress', async () => {
  const cases: [string, string, data.DownloadOptions][] = [
    ['md5', '/file.bin', { md5: md5(payload) }],
    ['sha256', '/file.bin', { sha256: sha256(payload).toUpperCase() }],
    ['both', '/chunked.bin', { md5: md5(payload), sha256: sha256(payload) }],
    ['redirect', '/redirect', { md5: md5(payload) }],
    ['no checksum', '/file.bin', {}],
  ];
  for (const [name, path, options] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'strata-dl-'));
    const progress: [number, number | null][] = [];
    const dest = await data.download(base + path, join(dir, 'sub', 'out.bin'), { ...options, onProgress: (r, t) => progress.push([r, t]) });
    assert.ok(Buffer.from(readFileSync(dest)).equals(payload), name);
    assert.equal(progress.at(-1)![0], payload.length, `${name}: progress reaches the size`);
    assert.equal(progress.at(-1)![1], path === '/chunked.bin' ? null : payload.length, `${name}: total from Content-Length`);
    assert.deepEqual(leftovers(join(dir, 'sub')), [], `${name}: no temp file left`);
  }
});

test('download failures are clear and leave nothing behind', async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/x`;
  await new Promise<void>((r) => dead.close(() => r()));
  const cases: [string, string, data.DownloadOptions, RegExp][] = [
    ['checksum mismatch', '/file.bin', { md5: '0'.repeat(32) }, /checksum mismatch for http:\/\/127.0.0.1:\d+\/file.bin: expected md5 0{32}, got [0-9a-f]{32}; the file was not saved/],
    ['sha256 mismatch', '/file.bin', { sha256: 'ab'.repeat(32) }, /expected sha256 (ab){32}, got/],
    ['404', '/missing.gz', {}, /download: HTTP 404 Not Found for http:\/\/127.0.0.1:\d+\/missing.gz/],
    ['redirect loop', '/loop', { maxRedirects: 3 }, /too many redirects \(more than 3\)/],
    ['connection closed early', '/short', {}, /download: transfer of .*\/short failed after 100 bytes|ended after 100 of 5000 bytes/],
  ];
  for (const [name, path, options, re] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'strata-dl-'));
    await assert.rejects(data.download(base + path, join(dir, 'out.bin'), options), re, name);
    assert.deepEqual(readdirSync(dir), [], `${name}: nothing written`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'strata-dl-'));
  await assert.rejects(data.download(deadUrl, join(dir, 'x')), /download: request for http:\/\/127.0.0.1:\d+\/x failed: .*ECONNREFUSED/);
  await assert.rejects(data.download('ftp://example.org/x', join(dir, 'x')), /unsupported protocol ftp: .*expected http or https/);
  await assert.rejects(data.download('not a url', join(dir, 'x')), /not a valid URL: not a url/);
});

test('an existing file with the right checksum is not downloaded again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-dl-'));
  const dest = join(dir, 'out.bin');
  writeFileSync(dest, payload);
  requests = [];
  await data.download(`${base}/file.bin`, dest, { md5: md5(payload) });
  assert.deepEqual(requests, []);
  writeFileSync(dest, 'stale');
  await data.download(`${base}/file.bin`, dest, { md5: md5(payload) });
  assert.deepEqual(requests, ['/file.bin'], 'a wrong local copy is replaced');
  assert.ok(Buffer.from(readFileSync(dest)).equals(payload));
});

test('downloadMNIST tries mirrors in order and the result loads', { skip: missing('mnist') }, async () => {
  const src = join(realDataRoot()!, 'mnist');
  for (const [file] of data.MNIST_RESOURCES) files.set(`/${file}`, readFileSync(join(src, file)));
  const root = mkdtempSync(join(tmpdir(), 'strata-mnist-'));
  requests = [];
  const seen = new Set<string>();
  const folder = await data.downloadMNIST(root, { mirrors: [`${base}/nothing-here/`, `${base}/good/`], onProgress: (f) => seen.add(f) });
  assert.equal(folder, join(root, 'mnist'));
  assert.equal(requests.filter((r) => r.startsWith('/nothing-here/')).length, 4, 'the first mirror is tried for each file');
  assert.equal(seen.size, 4);
  const ds = new data.MNIST(root, { train: false });
  assert.equal(ds.length, 10000);
  assert.equal(ds.get(0)[1], 7);
  files.set('/t10k-labels-idx1-ubyte.gz', gzipSync(Buffer.from('tampered')));
  await assert.rejects(
    data.downloadMNIST(mkdtempSync(join(tmpdir(), 'strata-mnist-')), { mirrors: [`${base}/good/`] }),
    /could not get t10k-labels-idx1-ubyte.gz from any mirror:\n {2}download: checksum mismatch/,
  );
});

// ---- tar ------------------------------------------------------------------------------------------------

function tarHeader(name: string, size: number, type = '0'): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, at: number) => h.set(Buffer.from(text), at);
  put(name.slice(0, 100), 0);
  put('0000644\0', 100);
  put(size.toString(8).padStart(11, '0') + '\0', 124);
  put('00000000000\0', 136);
  put(type, 156);
  put('ustar\0' + '00', 257);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function tar(entries: [string, Uint8Array | string, string?][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, content, type] of entries) {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    parts.push(tarHeader(name, body.length, type), body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

test('readTar and extractTarGz read ustar archives, GNU long names, and reject bad ones', () => {
  const long = `dir/${'x'.repeat(120)}.bin`;
  const archive = tar([['top/', '', '5'], ['top/a.txt', 'hello'], ['././@LongLink', long + '\0', 'L'], ['ignored', 'long body'], ['top/b.bin', new Uint8Array(600).fill(7)]]);
  const entries = data.readTar(archive);
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.data.length]), [['top/', 'directory', 0], ['top/a.txt', 'file', 5], [long, 'file', 9], ['top/b.bin', 'file', 600]]);
  const dir = mkdtempSync(join(tmpdir(), 'strata-tar-'));
  writeFileSync(join(dir, 'a.tar.gz'), gzipSync(archive));
  const written = data.extractTarGz(join(dir, 'a.tar.gz'), join(dir, 'out'), { strip: 1, filter: (n) => n.startsWith('top/') });
  assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ['out/a.txt', 'out/b.bin']);
  assert.equal(readFileSync(join(dir, 'out', 'a.txt'), 'utf8'), 'hello');

  const badSum = new Uint8Array(archive);
  badSum[0] ^= 1;
  const cases: [string, () => unknown, RegExp][] = [
    ['checksum', () => data.readTar(badSum, 'x.tar'), /tar: x.tar is corrupt: header checksum mismatch at byte 0/],
    ['truncated', () => data.readTar(archive.subarray(0, 512 * 4 + 100), 'x.tar'), /tar: x.tar is truncated: entry '\.\/\.\/@LongLink' needs 129 bytes at 2048, the archive has 2148/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
  writeFileSync(join(dir, 'evil.tar'), tar([['../evil.txt', 'x']]));
  assert.throws(() => data.extractTarGz(join(dir, 'evil.tar'), join(dir, 'out2')), /unsafe entry name '..\/evil.txt'/);
  assert.equal(existsSync(join(dir, 'evil.txt')), false);
  writeFileSync(join(dir, 'bad.tar.gz'), Uint8Array.from([0x1f, 0x8b, 0, 1, 2, 3]));
  assert.throws(() => data.extractTarGz(join(dir, 'bad.tar.gz'), join(dir, 'out3')), /tar: cannot decompress .*bad.tar.gz/);
});

test('downloadCIFAR10: skips when the batches are there, checks the archive, reports missing files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'strata-c10-'));
  mkdirSync(join(root, 'cifar-10'));
  for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
    writeFileSync(join(root, 'cifar-10', `${f}.bin`), '');
    truncateSync(join(root, 'cifar-10', `${f}.bin`), 30730000);
  }
  requests = [];
  assert.equal(await data.downloadCIFAR10(root, { url: `${base}/never` }), join(root, 'cifar-10'));
  assert.deepEqual(requests, [], 'nothing fetched when complete');

  const archive = gzipSync(tar([['cifar-10-batches-bin/batches.meta.txt', 'airplane\n'], ['cifar-10-batches-bin/test_batch.bin', new Uint8Array(3073)]]));
  files.set('/c10.tar.gz', archive);
  const fresh = mkdtempSync(join(tmpdir(), 'strata-c10-'));
  await assert.rejects(data.downloadCIFAR10(fresh, { url: `${base}/good/c10.tar.gz` }), /checksum mismatch .* expected md5 c32a1d4ab5d03f1284b67883e8d87530/);
  await assert.rejects(
    data.downloadCIFAR10(fresh, { url: `${base}/good/c10.tar.gz`, md5: md5(archive) }),
    /cifar-10-binary.tar.gz did not contain the expected files \(missing or wrong size: data_batch_1.bin, .*test_batch.bin\)/,
  );
  assert.equal(readFileSync(join(fresh, 'cifar-10', 'batches.meta.txt'), 'utf8'), 'airplane\n', 'extracted with the top folder stripped');
});
