// This package ships ES modules only. Its exports map sends require() here so CommonJS callers get one clear line
// instead of a resolution error or, on Node versions with require(esm), a half-supported load.
const error = new Error(
  "@mnist-cnn/trainer is ESM-only: use import (`import { … } from '@mnist-cnn/trainer'`), or await import('@mnist-cnn/trainer') from CommonJS.",
);
error.code = 'ERR_REQUIRE_ESM';
throw error;
