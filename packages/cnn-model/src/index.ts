export const packageName = '@mnist-cnn/cnn-model';
