// Typed errors. Every error blasprop throws for bad input is a BlaspropError subclass whose
// message names what is wrong; a rejected call leaves the network unchanged.

/** Base class of every error blasprop throws on purpose. */
export class BlaspropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An array has the wrong number of rows or columns for the network or for its partner array. */
export class ShapeError extends BlaspropError {}

/** A value has the wrong type: not an array, a typed array of the wrong kind, a non-integer label. */
export class DTypeError extends BlaspropError {}

/** Input data holds NaN or ±Infinity. */
export class NonFiniteError extends BlaspropError {}

/** A class label is not an integer in [0, classes). */
export class LabelError extends BlaspropError {}

/** An option is unknown, missing, out of range or inconsistent with another (unknown activation, softmax on a hidden layer, batch size < 1, …). */
export class ConfigError extends BlaspropError {}

/** The requested backend cannot be used (the native addon failed to load). */
export class BackendError extends BlaspropError {}

/** The network is busy with an asynchronous fit and cannot take this call now. */
export class BusyError extends BlaspropError {}

/** The network was disposed (`dispose()` or `using`); it takes no further calls. */
export class DisposedError extends BlaspropError {}

/** Memory for a network, its workspace or its data could not be allocated; the process and the network are unchanged. */
export class AllocationError extends BlaspropError {}

/** A file or buffer is not a valid blasprop model, IDX or CSV file; the message names file and position. */
export class FormatError extends BlaspropError {}
