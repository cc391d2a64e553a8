// The examples as committed: each depends on this package as `@copilotkit/runtime` through
// `file:../..`, pins exact versions and has its lockfile; the two Next.js App Router apps are the
// same app apart from the client generation they install.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const { EXAMPLES, EXAMPLES_DIR } = require('./support/e2e-examples.js');

const read = (...p) => fs.readFileSync(path.join(EXAMPLES_DIR, ...p), 'utf8');

function files(dir, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'dist', 'next-env.d.ts', 'package.json', 'package-lock.json'].includes(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, base));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

for (const name of Object.keys(EXAMPLES)) {
  test(`examples/${name}: our package as @copilotkit/runtime, exact versions, committed lockfile`, () => {
    const pkg = JSON.parse(read(name, 'package.json'));
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    assert.equal(deps['@copilotkit/runtime'], 'file:../..');
    for (const [dep, range] of Object.entries(deps)) {
      if (dep === '@copilotkit/runtime') continue;
      assert.match(range, /^\d+\.\d+\.\d+$/, `${dep} is pinned to an exact version (got ${range})`);
    }
    const lock = JSON.parse(read(name, 'package-lock.json'));
    assert.equal(lock.packages[''].dependencies['@copilotkit/runtime'], 'file:../..');
    for (const [dep, version] of Object.entries(deps)) {
      if (dep === '@copilotkit/runtime') continue;
      assert.equal(lock.packages[`node_modules/${dep}`]?.version, version, `the lockfile has ${dep}@${version}`);
    }
  });
}

test('the two App Router apps differ only in the client generation they install', () => {
  const a = 'nextjs-app-router';
  const b = 'nextjs-app-router-1.10';
  assert.deepEqual(files(path.join(EXAMPLES_DIR, b)), files(path.join(EXAMPLES_DIR, a)));
  for (const f of files(path.join(EXAMPLES_DIR, a))) assert.equal(read(b, f), read(a, f), `${f} is the same in both`);
  const pa = JSON.parse(read(a, 'package.json'));
  const pb = JSON.parse(read(b, 'package.json'));
  assert.equal(pa.dependencies['@copilotkit/react-core'], '1.74.0');
  assert.equal(pb.dependencies['@copilotkit/react-core'], '1.10.6');
  assert.equal(pb.dependencies['@copilotkit/react-ui'], '1.10.6');
  const strip = (p) => ({ ...p, name: null, dependencies: { ...p.dependencies, '@copilotkit/react-core': null, '@copilotkit/react-ui': null } });
  assert.deepEqual(strip(pb), strip(pa));
});

test('the App Router route is the docs quickstart: no Next.js config needed for the native addon', () => {
  const route = read('nextjs-app-router', 'app', 'api', 'copilotkit', 'route.ts');
  assert.match(route, /copilotRuntimeNextJSAppRouterEndpoint/);
  assert.match(route, /from "@copilotkit\/runtime"/);
  const config = read('nextjs-app-router', 'next.config.ts');
  assert.doesNotMatch(config, /serverExternalPackages|webpack|turbopack/);
});
