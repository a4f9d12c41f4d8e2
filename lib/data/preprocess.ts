// Preprocessing of loaded data: one-hot labels, column scaling and the train/test split.
// Each tool lives in its own module; this one gathers them.

export { oneHot } from './one-hot';
export type { OneHotOptions } from './one-hot';
export { Standardizer } from './standardizer';
export type { StandardizerState } from './standardizer';
export { MinMaxScaler } from './min-max-scaler';
export type { MinMaxScalerOptions, MinMaxScalerState } from './min-max-scaler';
export { trainTestSplit } from './train-test-split';
export type { SplitTarget, TrainTestSplit, TrainTestSplitOptions } from './train-test-split';
