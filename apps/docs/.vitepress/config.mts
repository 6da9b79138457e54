import { defineConfig } from 'vitepress';

/** Where the site is published; the package READMEs link here with absolute URLs so the links work on npm. */
const siteUrl = 'https://mnist-cnn.github.io';

export default defineConfig({
  title: 'mnist-cnn',
  description: 'Train and run convolutional networks on MNIST-style digits in Node.js and browsers, no Python.',
  cleanUrls: false,
  lastUpdated: false,
  sitemap: { hostname: siteUrl },
  // The folder's README and the figures that benchmarks.md includes are not pages of their own.
  srcExclude: ['README.md', 'benchmarks-figures.md', 'examples/**'],
  // The site must work offline and make no request beyond its own origin.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/guide/quick-start' },
      { text: 'Demo', link: '/demo' },
      { text: 'CLI', link: '/reference/cli' },
      { text: 'API', link: '/reference/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar: [
      {
        text: 'Guides',
        items: [
          { text: 'Quick start: the CLI', link: '/guide/quick-start' },
          { text: 'Train and evaluate from Node', link: '/guide/train-in-node' },
          { text: 'Run a model in the browser', link: '/guide/browser' },
          { text: 'Classify your own images', link: '/guide/your-own-images' },
          { text: 'Datasets and the IDX format', link: '/guide/datasets' },
          { text: 'Model files and TensorFlow.js', link: '/guide/model-files' },
          { text: 'How training on WebAssembly works', link: '/guide/wasm-training' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'CLI reference', link: '/reference/cli' },
          { text: 'API reference', link: '/reference/api/' },
          { text: 'Model file format', link: '/reference/model-format' },
          { text: 'Benchmarks', link: '/benchmarks' },
          { text: 'A sample training report', link: '/report' },
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
