// Runs in the temp project as CommonJS: require() of every entry must fail with the one-line ESM-only error.
const entries = [
  '@mnist-cnn/mnist-data',
  '@mnist-cnn/mnist-data/node',
  '@mnist-cnn/cnn-model',
  '@mnist-cnn/cnn-model/node',
  '@mnist-cnn/trainer',
  '@mnist-cnn/trainer/node',
  '@mnist-cnn/cli',
];
const outcomes = entries.map((entry) => {
  try {
    require(entry);
    return { entry, loaded: true };
  } catch (error) {
    return { entry, loaded: false, code: error.code, message: error.message };
  }
});
console.log(JSON.stringify(outcomes));
