// blasprop's public API. This file only re-exports.
export { Network } from './network';
export type { Evaluation, LayerWeights, StepOptions } from './network';
export type { NetworkOptions, LayerOptions, DType, BackendChoice, Architecture, ResolvedLayer } from './architecture';
export type { ActivationName, LossName } from './codes';
export type { Init, InitName, InitOptions } from './initializers';
export type { Matrix, MatrixInput, TargetInput, LabelInput } from './input';
export type { FitOptions, History, EpochRecord, EpochLogs, BatchLogs, FitCallbacks, EarlyStoppingOptions, LayerDiagnostics } from './fit';
export type { OptimizerOptions, RegularizationOptions } from './optimizer';
export type { ScheduleOptions } from './schedule';
export { backendInfo, setThreads, physicalCores } from './backend';
export type { BackendInfo, ThreadOptions } from './backend';
export type { BlasInfo } from './backends/native';
export type { LoadOptions } from './persistence';
export {
  BlaspropError, ShapeError, DTypeError, NonFiniteError, LabelError, ConfigError, BackendError, BusyError, FormatError,
  DisposedError, AllocationError,
} from './errors';
export { MAX_ELEMENTS } from './limits';
export { modelToOnnx } from './onnx';
export type { OnnxExportOptions, OnnxModelDescription } from './onnx';
export * from './data';
