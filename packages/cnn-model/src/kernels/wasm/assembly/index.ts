// The kernel library's one module: every kernel family, compiled together into one relaxed-SIMD and one plain-SIMD
// build (scripts/compile-kernels.mjs). A new family is a file beside this one, exported here.
export * from './convolutions';
export * from './dense';
export * from './max-pool';
export * from './optimizers';
export * from './winograd';
