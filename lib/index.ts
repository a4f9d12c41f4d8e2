// blasprop's public API. This file only re-exports.
export { Network } from './network';
export * as distributed from './distributed';
export type { World } from './distributed';
export type { StepOptions } from './network';
export type { Evaluation } from './metrics';
export type { LayerWeights, LayerWeightsInput } from './layer-weights';
export type { NetworkOptions, LayerOptions, BackendChoice, BlasChoice, MixedPrecision, InferencePrecision, Architecture, ResolvedLayer, ParameterLayout } from './architecture';
export type { ProductEngine } from './products';
export type { DType, FloatArray } from './dtype';
export type { ActivationName, LossName } from './codes';
export type { Init, InitName, InitOptions } from './initializers';
export type { Matrix, MatrixInput, TargetInput, LabelInput } from './input';
export type { History, EpochRecord, LayerDiagnostics } from './fit';
export type { FitOptions, DistributedFitOptions, EpochLogs, BatchLogs, FitCallbacks, EarlyStoppingOptions } from './fit-options';
export type { Batch, BatchSource, SyncBatchSource, StreamFitOptions } from './fit-stream';
export type { ReduceOnPlateauOptions } from './plateau';
export type { WarmupOptions } from './schedule';
export type {
  OptimizerOptions, RegularizationOptions, SgdOptions, AdamOptions, AdamWOptions, RMSpropOptions, AdagradOptions,
} from './optimizer';
export type { WeightOptions } from './row-weights';
export type { ScheduleOptions } from './schedule';
export { backendInfo, setThreads, physicalCores } from './backend';
export type { BackendInfo, ThreadOptions } from './backend';
export type { BlasInfo, OnednnInfo } from './backends/native';
export type { LoadOptions } from './persistence';
export {
  BlaspropError, ShapeError, DTypeError, NonFiniteError, LabelError, ConfigError, BackendError, BusyError, FormatError,
  DisposedError, AllocationError,
} from './errors';
export { MAX_ELEMENTS } from './limits';
export { modelToOnnx } from './onnx';
export type { OnnxExportOptions, OnnxModelDescription } from './onnx';
export * from './data';
