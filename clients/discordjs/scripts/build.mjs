// Builds the package twice from src/: CommonJS into dist/cjs and ES modules into dist/esm, each with its types.
// Each folder gets a package.json saying which it is, so Node loads dist/esm/*.js as ESM whatever the root says.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
const builds = [
  { dir: 'cjs', type: 'commonjs', args: ['--module', 'commonjs', '--moduleResolution', 'node10'] },
  { dir: 'esm', type: 'module', args: ['--module', 'es2022', '--moduleResolution', 'bundler'] },
];
for (const build of builds) {
  const outDir = join(root, 'dist', build.dir);
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', outDir, ...build.args], {
    stdio: 'inherit',
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: build.type }) + '\n');
}

// What a TypeScript bot writes against the published types must compile (test/types/usage.mts and usage.cts; not run).
execFileSync(
  process.execPath,
  [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--skipLibCheck', '--types', 'node', join(root, 'test', 'types', 'usage.mts'), join(root, 'test', 'types', 'usage.cts')],
  { stdio: 'inherit' },
);
