/** Package name, until the commands land (issue: @mnist-cnn/cli). */
export const packageName = '@mnist-cnn/cli';
