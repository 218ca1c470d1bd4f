/**
 * Decoding images (PNG, JPEG, WebP, TIFF, GIF) with sharp (libvips).
 *
 * sharp only decodes asynchronously, on libuv's thread pool. `readImageAsync`
 * uses it directly, so several images decode in parallel. `readImage` is
 * synchronous (datasets' `get(i)` is): it hands the file to one helper worker
 * thread and blocks on an Atomics wait until the pixels come back.
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Tensor } from '../core.js';
import { Uint8Image } from './image.js';

/**
 * How to convert the decoded pixels (torchvision.io.ImageReadMode):
 * 'rgb' (3 channels; gray is replicated, alpha dropped, as PIL's convert('RGB')),
 * 'rgba', 'gray' (1 channel with PIL's L = 0.299 R + 0.587 G + 0.114 B), or 'unchanged'
 * (the file's own channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
 */
export type ImageReadMode = 'unchanged' | 'gray' | 'rgb' | 'rgba';
const MODES: readonly ImageReadMode[] = ['unchanged', 'gray', 'rgb', 'rgba'];

export interface ReadImageOptions {
  mode?: ImageReadMode;
}

/** What the decoder hands back: interleaved sRGB(A) bytes and whether the file was grayscale. */
interface Decoded {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
  gray: boolean;
}

/**
 * The decoding step, as source text because it also runs in the helper worker
 * (an eval'd CommonJS script): always asks libvips for 8-bit sRGB, keeping alpha.
 */
const DECODE_SOURCE = `async function decode(sharp, path) {
  const img = sharp(path, { failOn: 'warning' });
  const meta = await img.metadata();
  const { data, info } = await img.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const gray = meta.space === 'b-w' || meta.space === 'grey16' || meta.channels === 1 || (meta.channels === 2 && meta.space !== 'srgb');
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels, gray };
}`;

type SharpModule = unknown;
type DecodeFn = (sharp: SharpModule, path: string) => Promise<Decoded>;

const require = createRequire(import.meta.url);
let sharpModule: SharpModule | null = null;
let decodeFn: DecodeFn | null = null;

function loadSharp(): SharpModule {
  if (sharpModule === null) {
    try {
      sharpModule = require('sharp');
    } catch (e) {
      throw new Error(`readImage: the image decoder 'sharp' could not be loaded (${(e as Error).message}); run npm install sharp`);
    }
  }
  return sharpModule;
}

function checkMode(mode: string, op: string): ImageReadMode {
  if (!(MODES as readonly string[]).includes(mode)) throw new Error(`${op}: unknown mode '${mode}'; expected one of ${MODES.join(', ')}`);
  return mode as ImageReadMode;
}

/** Decoded sRGB(A) bytes → a CHW image in the requested mode. */
function convert(d: Decoded, mode: ImageReadMode): Uint8Image {
  const { data, width, height, channels } = d;
  const plane = width * height;
  const hasAlpha = channels === 4 || channels === 2;
  const colour = channels >= 3 ? 3 : 1;
  const wantGray = mode === 'gray' || (mode === 'unchanged' && d.gray);
  const wantAlpha = mode === 'rgba' || (mode === 'unchanged' && hasAlpha);
  const outC = (wantGray ? 1 : 3) + (wantAlpha ? 1 : 0);
  const out = new Uint8Array(outC * plane);
  for (let p = 0, q = 0; p < plane; p++, q += channels) {
    const r = data[q];
    const g = colour === 3 ? data[q + 1] : r;
    const b = colour === 3 ? data[q + 2] : r;
    if (wantGray) {
      out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16; // PIL's convert('L')
    } else {
      out[p] = r;
      out[plane + p] = g;
      out[2 * plane + p] = b;
    }
    if (wantAlpha) out[(outC - 1) * plane + p] = hasAlpha ? data[q + channels - 1] : 255;
  }
  return new Uint8Image(out, outC, height, width);
}

function decodeError(op: string, path: string, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  return new Error(`${op}: cannot decode ${path}: ${message}`);
}

/** Decode an image file asynchronously (several calls decode in parallel). */
export async function readImageAsync(path: string, options: ReadImageOptions = {}): Promise<Uint8Image> {
  const mode = checkMode(options.mode ?? 'unchanged', 'readImageAsync');
  const sharp = loadSharp();
  decodeFn ??= new Function(`return (${DECODE_SOURCE})`)() as DecodeFn;
  let decoded: Decoded;
  try {
    decoded = await decodeFn(sharp, path);
  } catch (e) {
    throw decodeError('readImageAsync', path, e);
  }
  return convert(decoded, mode);
}

// ---- synchronous decoding through a helper worker --------------------------------------------

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, sharpPath, decodeSource } = workerData;
let sharp = null, loadError = null;
try { sharp = require(sharpPath); } catch (e) { loadError = e; }
const decode = (0, eval)('(' + decodeSource + ')');
port.on('message', async ({ path }) => {
  let reply;
  try {
    if (loadError) throw new Error('the image decoder sharp could not be loaded: ' + loadError.message);
    reply = { ok: true, result: await decode(sharp, path) };
  } catch (e) {
    reply = { ok: false, message: String((e && e.message) || e) };
  }
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

interface SyncBridge {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}
let bridge: SyncBridge | null = null;

function getBridge(): SyncBridge {
  if (bridge) return bridge;
  let sharpPath: string;
  try {
    sharpPath = require.resolve('sharp');
  } catch (e) {
    throw new Error(`readImage: the image decoder 'sharp' is not installed (${(e as Error).message}); run npm install sharp`);
  }
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, signal, sharpPath, decodeSource: DECODE_SOURCE },
    transferList: [port2],
  });
  worker.unref();
  worker.on('error', () => (bridge = null));
  worker.on('exit', () => (bridge = null));
  bridge = { worker, port: port1, signal };
  return bridge;
}

/** How long a synchronous decode may take before it is reported as stuck. */
const SYNC_TIMEOUT_MS = 120_000;

/** Decode an image file synchronously (blocks the thread while the helper worker decodes). */
export function readImage(path: string, options: ReadImageOptions = {}): Uint8Image {
  const mode = checkMode(options.mode ?? 'unchanged', 'readImage');
  const { port, signal } = getBridge();
  port.postMessage({ path });
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  let message: { message: { ok: boolean; result?: Decoded; message?: string } } | undefined;
  for (;;) {
    const seen = Atomics.load(signal, 0); // the worker posts its reply, then bumps the counter
    if ((message = receiveMessageOnPort(port))) break;
    const left = deadline - Date.now();
    if (left <= 0) {
      bridge?.worker.terminate();
      bridge = null;
      throw new Error(`readImage: decoding ${path} did not finish within ${SYNC_TIMEOUT_MS / 1000} s (the decoder worker stopped responding)`);
    }
    Atomics.wait(signal, 0, seen, Math.min(left, 1000));
  }
  const reply = message.message;
  if (!reply.ok) throw decodeError('readImage', path, reply.message);
  return convert(reply.result!, mode);
}

/** Decode an image file into a float32 CHW tensor in [0, 1]. */
export function readImageTensor(path: string, options: ReadImageOptions = {}): Tensor {
  return readImage(path, options).toTensor();
}
