import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'mnist-cnn',
  description: 'Train and run convolutional networks on MNIST-style digits in Node.js and browsers, no Python.',
  cleanUrls: false,
  lastUpdated: false,
  // The site must work offline and make no request beyond its own origin.
  head: [],
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Demo', link: '/demo' },
      { text: 'CLI', link: '/reference/cli' },
      { text: 'API', link: '/reference/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Datasets: @mnist-cnn/mnist-data', link: '/guide/mnist-data' },
          { text: 'Models: @mnist-cnn/cnn-model', link: '/guide/cnn-model' },
          { text: 'Training: @mnist-cnn/trainer', link: '/guide/trainer' },
          { text: 'Command line: @mnist-cnn/cli', link: '/guide/cli' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'CLI reference', link: '/reference/cli' },
          { text: 'API reference', link: '/reference/api/' },
          { text: 'Model file format', link: '/reference/model-format' },
          { text: 'Benchmarks', link: '/benchmarks' },
          { text: 'Changelogs', link: '/changelog' },
        ],
      },
      { text: 'Demo', items: [{ text: 'Draw a digit', link: '/demo' }] },
    ],
  },
  vite: {
    // tfjs-backend-wasm loads its .wasm files from /wasm/ (copied there by scripts/generate.mjs).
    optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  },
});
