// Type-checks every code example users read: the ```ts and ```js blocks of the READMEs and the site's pages, and the
// `@example` blocks in the packages' TSDoc (which the API reference shows). Each block is written out as its own module
// under .examples/ and compiled with the repository's strict settings against the built packages, so an example that
// no longer matches the API fails `pnpm typecheck`. Run after `pnpm build` (turbo's typecheck task builds first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(docsRoot, '..', '..');
const outDir = join(docsRoot, '.examples');
const require = createRequire(import.meta.url);

/** Markdown files whose code blocks are examples: the READMEs and the site's own pages (not generated ones). */
function markdownSources() {
  const files = [join(repoRoot, 'README.md')];
  for (const name of readdirSync(join(repoRoot, 'packages'))) files.push(join(repoRoot, 'packages', name, 'README.md'));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', '.vitepress', '.examples', 'public', 'api', 'examples'].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md') && path !== join(docsRoot, 'reference', 'cli.md')) files.push(path);
    }
  };
  walk(docsRoot);
  return files;
}

/** Package sources whose TSDoc may carry `@example` blocks. */
function tsdocSources() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__tests__') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  for (const name of readdirSync(join(repoRoot, 'packages'))) walk(join(repoRoot, 'packages', name, 'src'));
  return files;
}

/** Fenced ```ts / ```js blocks of a text, with the 1-based line of their first code line. */
function fencedBlocks(lines) {
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|js|typescript|javascript)\b/.exec(lines[i]);
    if (!open) continue;
    const code = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) code.push(lines[j++]);
    blocks.push({ line: i + 2, code: code.map((line) => line.slice(open[1].length)) });
    i = j;
  }
  return blocks;
}

function markdownExamples(file) {
  return fencedBlocks(readFileSync(file, 'utf8').split('\n'));
}

function tsdocExamples(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const examples = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i])) continue;
    const body = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*\*\//.test(lines[j]) && !/^\s*\*\s*@\w/.test(lines[j])) {
      body.push(lines[j].replace(/^\s*\*( |$)/, ''));
      j++;
    }
    for (const block of fencedBlocks(body)) examples.push({ line: i + block.line, code: block.code });
    i = j - 1;
  }
  return examples;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const origins = new Map();
let count = 0;
// The guides include these files whole (VitePress `<<<`), and a test runs them.
const exampleFiles = readdirSync(join(docsRoot, 'examples')).map((name) => join(docsRoot, 'examples', name));
const sources = [
  ...markdownSources().map((file) => [file, markdownExamples(file)]),
  ...exampleFiles.map((file) => [file, [{ line: 1, code: readFileSync(file, 'utf8').split('\n') }]]),
  ...tsdocSources().map((file) => [file, tsdocExamples(file)]),
];
for (const [file, examples] of sources) {
  for (const example of examples) {
    const name = `example-${String(++count).padStart(3, '0')}.ts`;
    // `export {}` makes each block a module of its own, so top-level await works and names do not collide.
    writeFileSync(join(outDir, name), `export {};\n${example.code.join('\n')}\n`);
    origins.set(name, { file: relative(repoRoot, file), line: example.line });
  }
}
writeFileSync(
  join(outDir, 'tsconfig.json'),
  `${JSON.stringify(
    {
      extends: '../../../tsconfig.base.json',
      compilerOptions: { noUnusedLocals: false, allowJs: false },
      include: ['*.ts'],
    },
    null,
    2,
  )}\n`,
);

const tsc = require.resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', '.'], {
  cwd: outDir,
  encoding: 'utf8',
});
if (result.status !== 0) {
  // Point each message at the README or source line the reader would edit, not at the generated file.
  const messages = `${result.stdout}${result.stderr}`.replace(
    /(example-\d{3}\.ts)\((\d+),(\d+)\)/g,
    (whole, name, line, column) => {
      const origin = origins.get(name);
      return origin ? `${origin.file}:${origin.line + Number(line) - 2}:${column}` : whole;
    },
  );
  console.error(messages.trim());
  console.error(`docs: ${count} examples checked; the ones above do not compile`);
  process.exit(1);
}
console.log(`docs: ${count} examples from the READMEs, the site and the TSDoc compile`);
