// Writes a tfjs-layers model to a directory the way `model.save('file://dir')` lays it out, for tests that load such
// models without tfjs-node: model.json with the Keras topology and a weights manifest, and the weights in one file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Saves `model` into `dir` through `withSaveHandler` (tf.io's, from the caller's tfjs-core). */
export async function saveLayersModelFiles(model, withSaveHandler, dir, weightsPath = 'weights.bin') {
  await model.save(
    withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [weightsPath], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, weightsPath), new Uint8Array(artifacts.weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
