// `pnpm check:packages`: packs each published package and checks the tarball as a user would get it: only the files
// it needs, publint clean, and types that resolve for ESM consumers (attw). Exits non-zero on any finding.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, repoRoot, tarballFiles } from './packages.mjs';

// What a tarball may hold: the build, the require() guard, and the three files npm always ships.
const allowed = [
  /^dist\/[^/]+\.(js|js\.map|d\.ts)$/,
  /^esm-only\.(cjs|d\.cts)$/,
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
];
const required = [
  'package.json',
  'README.md',
  'LICENSE',
  'esm-only.cjs',
  'esm-only.d.cts',
  'dist/index.js',
  'dist/index.d.ts',
];

const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const rootLicense = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
// The supported Node range is stated once in the root package.json; every package and the README repeat it.
const nodeRange = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.node;
const destination = mkdtempSync(join(tmpdir(), 'mnist-cnn-pack-'));
const failures = [];

function run(label, command, args) {
  try {
    const output = execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
    console.log(output.trimEnd());
  } catch (error) {
    console.log(`${error.stdout ?? ''}${error.stderr ?? ''}`.trimEnd());
    failures.push(label);
  }
}

if (!readFileSync(join(repoRoot, 'README.md'), 'utf8').includes(`Node.js \`${nodeRange}\``))
  failures.push(`README.md: does not state the supported range "Node.js \`${nodeRange}\`"`);

try {
  for (const pkg of packAll(destination)) {
    const files = tarballFiles(pkg.tarball);
    const kilobytes = (statSync(pkg.tarball).size / 1024).toFixed(0);
    console.log(`\n== ${pkg.name}@${pkg.version}: ${files.length} files, ${kilobytes} kB packed`);
    for (const file of files.filter((file) => !allowed.some((pattern) => pattern.test(file))))
      failures.push(`${pkg.name}: unexpected file in tarball: ${file}`);
    for (const file of required.filter((file) => !files.includes(file)))
      failures.push(`${pkg.name}: missing from tarball: ${file}`);
    if (readFileSync(join(pkg.dir, 'LICENSE'), 'utf8') !== rootLicense)
      failures.push(`${pkg.name}: LICENSE differs from the root LICENSE (copy it over)`);
    if (pkg.manifest.license !== 'MIT') failures.push(`${pkg.name}: license field is not MIT`);
    if (pkg.manifest.engines?.node !== nodeRange)
      failures.push(`${pkg.name}: engines.node is ${pkg.manifest.engines?.node}, expected the root's "${nodeRange}"`);
    // --strict: publint's warnings (not only errors) fail the check.
    run(`${pkg.name}: publint`, bin('publint'), ['run', pkg.tarball, '--strict']);
    // esm-only profile: the packages are ESM-only on purpose, so attw skips the node10 resolution (no exports map,
    // so no subpaths) and node16-from-CJS (where require() reaches esm-only.cjs, which only throws).
    run(`${pkg.name}: attw`, bin('attw'), [
      pkg.tarball,
      '--profile',
      'esm-only',
      '--format',
      'table-flipped',
      '--no-color',
    ]);
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\ncheck:packages failed:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
  process.exit(1);
}
console.log('\ncheck:packages: every tarball holds only what it needs; publint and attw pass.');
