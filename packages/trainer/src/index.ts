/** Package name, until the training API lands (issue: @mnist-cnn/trainer). */
export const packageName = '@mnist-cnn/trainer';
