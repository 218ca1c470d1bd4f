/**
 * MNIST in the browser: IDX parsing (optionally gzip-compressed, inflated
 * with the platform's DecompressionStream) and the set as typed arrays.
 * DOM-free (works in a worker and in Node 20).
 */

export interface MnistSet {
  /** n × 28 × 28 bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Inflate gzip data (detected by its magic bytes); other data is returned as is. */
export async function maybeGunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Parse an IDX file of unsigned bytes: its dimensions and data. */
export function parseIdx(bytes: Uint8Array): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4) throw new Error(`IDX: file too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new Error('IDX: bad magic number (expected two zero bytes)');
  const type = bytes[2];
  if (type !== 0x08) throw new Error(`IDX: only unsigned-byte data (type 0x08) is supported, got 0x${type.toString(16)}`);
  const ndim = bytes[3];
  if (bytes.length < 4 + 4 * ndim) throw new Error('IDX: truncated header');
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length - start < size) throw new Error(`IDX: expected ${size} data bytes for dims [${dims}], got ${bytes.length - start}`);
  return { dims, data: bytes.subarray(start, start + size) };
}

/** Combine an images file and a labels file. */
export function mnistFrom(imagesIdx: Uint8Array, labelsIdx: Uint8Array): MnistSet {
  const images = parseIdx(imagesIdx);
  const labels = parseIdx(labelsIdx);
  if (images.dims.length !== 3 || labels.dims.length !== 1) {
    throw new Error(`MNIST: expected images [n, rows, cols] and labels [n], got [${images.dims}] and [${labels.dims}]`);
  }
  if (images.dims[0] !== labels.dims[0]) throw new Error(`MNIST: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  return { images: images.data, labels: labels.data, count: images.dims[0], rows: images.dims[1], cols: images.dims[2] };
}

/** Fetch one MNIST file from the lab server (`base` like '/data/mnist/'), trying .gz first. */
export async function fetchIdx(base: string, name: string, fetcher: typeof fetch = fetch): Promise<Uint8Array> {
  for (const url of [`${base}${name}.gz`, `${base}${name}`]) {
    const res = await fetcher(url);
    if (res.ok) return maybeGunzip(new Uint8Array(await res.arrayBuffer()));
  }
  throw new Error(`MNIST: ${base}${name}(.gz) is not available from the server`);
}
