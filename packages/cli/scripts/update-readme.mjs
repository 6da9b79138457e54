// Regenerates the reference section of README.md from the built command table: `pnpm --filter @mnist-cnn/cli readme`.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderCliReference } from '../dist/index.js';

const start = '<!-- cli-reference:start -->';
const end = '<!-- cli-reference:end -->';
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const before = readme.slice(0, readme.indexOf(start) + start.length);
const after = readme.slice(readme.indexOf(end));
if (!readme.includes(start) || !readme.includes(end)) throw new Error('README.md lacks the cli-reference markers');
writeFileSync(readmeUrl, `${before}\n${renderCliReference({ headingLevel: 3 })}${after}`);
