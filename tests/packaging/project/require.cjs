// Runs in the temp project as CommonJS: require() of every entry must fail with the one-line ESM-only error, and the
// import() that the error suggests must load it.
const entries = [
  '@mnist-cnn/mnist-data',
  '@mnist-cnn/mnist-data/node',
  '@mnist-cnn/cnn-model',
  '@mnist-cnn/cnn-model/node',
  '@mnist-cnn/trainer',
  '@mnist-cnn/trainer/node',
  '@mnist-cnn/cli',
];
async function outcomeOf(entry) {
  const outcome = { entry, requireModule: process.features.require_module === true };
  try {
    require(entry);
    outcome.loaded = true;
  } catch (error) {
    Object.assign(outcome, { loaded: false, code: error.code, message: error.message });
  }
  outcome.importedExports = Object.keys(await import(entry)).length;
  return outcome;
}
Promise.all(entries.map(outcomeOf)).then((outcomes) => console.log(JSON.stringify(outcomes)));
