/**
 * st.data: datasets, transforms, the DataLoader, image I/O and downloads
 * (torch.utils.data + torchvision.datasets/transforms/io/utils). Node-only.
 *
 * ```ts
 * const { MNIST, DataLoader, Compose, ToTensor, Normalize, randomSplit } = st.data;
 * const full = new MNIST(root, { transform: new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]) });
 * const [train, val] = randomSplit(full, [55000, 5000], { generator: new st.Generator(0) });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true });
 * for (const [x, y] of loader) { ... }          // x: float32 [64, 1, 28, 28], y: int32 [64]
 * for await (const [x, y] of loader) { ... }    // same batches, the next one prepared meanwhile
 * const balanced = new DataLoader(train, { batchSize: 64, sampler: new WeightedRandomSampler(weights, train.length) });
 * ```
 *
 * Images without a transform are `Uint8Image`s (CHW bytes; Strata has no
 * uint8 tensor); `ToTensor` makes float32 [0, 1] tensors of them, and the
 * default collate turns them into float32 batches of their 0..255 values.
 */
export { Subset, ConcatDataset, TensorDataset, randomSplit, checkIndex } from './dataset.js';
export type { Dataset, SampleOf, RandomSplitOptions } from './dataset.js';
export { DataLoader } from './loader.js';
export type { DataLoaderOptions, DataLoaderState, SamplerStates } from './loader.js';
export { Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler, BatchSampler } from './sampler.js';
export type { Sized, RandomSamplerOptions, BatchSamplerOptions } from './sampler.js';
export { defaultCollate } from './collate.js';

export { defaultDataRoot } from './root.js';
export { ImageArrayDataset, readMaybeGzip } from './array-dataset.js';
export type { ImageDatasetOptions } from './array-dataset.js';
export { MNIST, FashionMNIST, parseIdx } from './mnist.js';
export type { MNISTOptions, IdxArray } from './mnist.js';
export { CIFAR10, CIFAR100, CIFAR10_CLASSES, CIFAR100_FINE_CLASSES, CIFAR100_COARSE_CLASSES, parseCifarRecords } from './cifar.js';
export type { CIFAROptions, CIFAR100Options } from './cifar.js';
export { ImageFolder, IMG_EXTENSIONS } from './folder.js';
export type { ImageFolderOptions } from './folder.js';

export { Uint8Image, imageToTensor, tensorToImage, makeGrid, saveImagePng, encodePng } from './image.js';
export type { MakeGridOptions } from './image.js';
export { readImage, readImageAsync, readImageTensor } from './image-io.js';
export type { ImageReadMode, ReadImageOptions } from './image-io.js';

export * as transforms from './transforms.js';
export * as functional from './functional.js';
export {
  Compose, Lambda, ToTensor, Normalize, RandomCrop, RandomHorizontalFlip, RandomVerticalFlip, CenterCrop, Pad, Resize,
  RandomResizedCrop, ColorJitter, RandomRotation, Grayscale, applyTransform,
  RandomApply, RandomOrder, RandomChoice, RandomGrayscale, RandomAffine, RandomPerspective, GaussianBlur, RandomInvert,
  RandomPosterize, RandomSolarize, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize, RandomErasing, FiveCrop,
  TenCrop, ConvertImageDtype, ElasticTransform, AutoAugment, RandAugment, TrivialAugmentWide,
} from './transforms.js';
export type { AutoAugmentPolicy } from './transforms.js';
export type { Transform, TransformLike, ImageInput } from './transforms.js';

export { download, downloadMNIST, downloadFashionMNIST, downloadCIFAR10, downloadCIFAR100, extractTarGz, readTar, MNIST_RESOURCES } from './download.js';
export type { DownloadOptions, TarEntry } from './download.js';
