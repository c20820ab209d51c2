// The package as npm publishes it: `npm pack` (the build is already done; prepack would redo it), then the tarball
// installed into an empty project, as a user's `npm install soundrelay-discordjs` does. It installs without a single
// npm warning (no install-time script it could not run, nothing missing) and holds the built package.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const PACKAGE = join(import.meta.dirname, '..');
const temp = mkdtempSync(join(tmpdir(), 'soundrelay-discordjs-pack-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function npm(args, cwd) {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 120000 });
  assert.equal(result.status, 0, `npm ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

test('the packed tarball installs into an empty project without a warning, built, with no install-time script', () => {
  assert.ok(existsSync(join(PACKAGE, 'dist', 'cjs', 'index.js')), 'dist/ is built (npm run build) before the tests');
  const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', temp], PACKAGE).stdout);
  const shipped = packed.files.map((f) => f.path);
  for (const file of ['package.json', 'README.md', 'dist/cjs/index.js', 'dist/esm/index.js', 'dist/cjs/index.d.ts']) {
    assert.ok(shipped.includes(file), `${file} in ${shipped.join(', ')}`);
  }

  const project = join(temp, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bot', version: '1.0.0', private: true }));
  // --legacy-peer-deps: leave out the peer (@discordjs/voice, from the registry); the package itself needs nothing.
  const install = npm(
    ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', join(temp, packed.filename)],
    project,
  );
  assert.doesNotMatch(install.stderr, /npm (warn|WARN)/, install.stderr);

  const installed = join(project, 'node_modules', 'soundrelay-discordjs');
  assert.ok(existsSync(join(installed, 'dist', 'esm', 'index.js')), 'the built package is installed');
  const scripts = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).scripts ?? {};
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(scripts[hook], undefined, `no ${hook} script: its file is not shipped`);
  }
});
