#!/usr/bin/env node
import { packageName } from './index.js';

process.stdout.write(`${packageName}: commands arrive with the CLI issue\n`);
