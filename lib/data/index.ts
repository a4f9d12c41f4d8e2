// The data loading part of blasprop: matrices, IDX (MNIST) and CSV loaders, preprocessing.

export { assertMatrix } from './matrix';
export type { Matrix, MatrixData, MatrixDataOf, MatrixDType } from './matrix';
export { loadIdxImages, parseIdx, readIdx, readIdxSync } from './idx';
export type { IdxArray, IdxImageSet, IdxImagesOptions, IdxTypedArray } from './idx';
export { csvBatches, loadCsv, parseCsvString } from './csv';
export type { CsvBatchOptions, CsvDataset, CsvDatasetFor, CsvFeaturesOf, CsvLabelsOf, CsvOptions } from './csv';
export { idxBatches } from './idx-batches';
export type { IdxBatch, IdxBatchOptions } from './idx-batches';
export { MinMaxScaler, Standardizer, oneHot, trainTestSplit } from './preprocess';
export type {
  MinMaxScalerOptions,
  MinMaxScalerState,
  OneHotOptions,
  SplitTarget,
  StandardizerState,
  TrainTestSplit,
  TrainTestSplitOptions,
} from './preprocess';
