// The runtime exports of the package equal the value exports that index.d.ts declares — for the
// CommonJS entry (index.js) and for the ES module entry (index.mjs) — and index.d.ts declares no
// name that @copilotkit/runtime 1.10.6 does not export.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { declaredClassMembers, declaredExports } from './types/declared-exports.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const declared = declaredExports(path.join(root, 'index.d.ts'));
const realDts = path.join(root, 'node_modules', '@copilotkit', 'runtime-1.10.6', 'dist', 'index.d.ts');

function compare(actualNames, what) {
  const expected = new Set(declared.values);
  const actual = new Set(actualNames);
  const missing = [...expected].filter((n) => !actual.has(n)).sort();
  const extra = [...actual].filter((n) => !expected.has(n)).sort();
  assert.ok(
    missing.length === 0 && extra.length === 0,
    `${what} differ from the value exports declared in index.d.ts\n` +
      `  missing (declared, not exported): ${missing.join(', ') || '-'}\n` +
      `  extra (exported, not declared):   ${extra.join(', ') || '-'}`,
  );
}

test('index.d.ts declares value exports', () => {
  assert.ok(declared.values.length > 0);
  assert.ok(declared.values.includes('CopilotRuntime'));
});

test('require("../index.js") exports exactly the declared values', () => {
  const cjs = require('../index.js');
  const defined = Object.keys(cjs).filter((k) => cjs[k] !== undefined);
  compare(defined, 'the CommonJS exports');
});

test('import("../index.mjs") exports exactly the declared values (named exports)', async () => {
  const esm = await import('../index.mjs');
  const defined = Object.keys(esm).filter((k) => k !== 'default' && esm[k] !== undefined);
  compare(defined, 'the ES module named exports');
});

test('the ES module exports the CommonJS objects themselves', async () => {
  const cjs = require('../index.js');
  const esm = await import('../index.mjs');
  assert.equal(esm.default, cjs);
  for (const name of Object.keys(esm)) {
    if (name === 'default') continue;
    assert.equal(esm[name], cjs[name], `index.mjs export ${name} is not index.js's`);
  }
});

test('declared classes and functions are functions at run time, constants are objects', () => {
  const cjs = require('../index.js');
  const wrong = [];
  for (const name of declared.values) {
    if (!(name in cjs)) continue; // reported by the export comparison
    const expected = name === 'config' ? 'object' : 'function';
    if (typeof cjs[name] !== expected) wrong.push(`${name}: ${typeof cjs[name]}, expected ${expected}`);
  }
  assert.deepEqual(wrong, []);
});

test('index.d.ts exports only names that @copilotkit/runtime 1.10.6 exports, values as values', { skip: !existsSync(realDts) && 'devDependency @copilotkit/runtime-1.10.6 not installed' }, () => {
  const real = declaredExports(realDts);
  const realAll = new Set([...real.values, ...real.types]);
  const invented = [...declared.values, ...declared.types].filter((n) => !realAll.has(n));
  assert.deepEqual(invented, [], `exported by index.d.ts but not by 1.10.6: ${invented.join(', ')}`);
  const kindChanged = [
    ...declared.values.filter((n) => !real.values.includes(n)),
    ...declared.types.filter((n) => real.values.includes(n)),
  ];
  assert.deepEqual(kindChanged, [], `value/type kind differs from 1.10.6 for: ${kindChanged.join(', ')}`);
});

// What index.d.ts declares for the handlers the five factories return (CopilotRuntimeServerInstance:
// callable, plus these members, as 1.10.6's graphql-yoga instances).
const INSTANCE_MEMBERS = ['handle', 'handleRequest', 'fetch', 'requestListener'];

test('the endpoint factories return handlers of the declared shape', () => {
  const api = require('../index.js');
  const needed = ['CopilotRuntime', 'EmptyAdapter'];
  assert.ok(needed.every((n) => typeof api[n] === 'function'), `needs ${needed.join(' and ')}`);
  const options = { runtime: new api.CopilotRuntime(), serviceAdapter: new api.EmptyAdapter(), endpoint: '/copilotkit' };
  const problems = [];
  const checkInstance = (what, h) => {
    if (typeof h !== 'function') return problems.push(`${what} is not a function`);
    const missing = INSTANCE_MEMBERS.filter((m) => typeof h[m] !== 'function');
    if (missing.length) problems.push(`${what} lacks ${missing.join(', ')}`);
  };
  for (const name of [
    'copilotRuntimeNodeHttpEndpoint',
    'copilotRuntimeNodeExpressEndpoint',
    'copilotRuntimeNestEndpoint',
    'copilotRuntimeNextJSPagesRouterEndpoint',
  ]) {
    if (typeof api[name] !== 'function') continue; // reported by the export comparison
    checkInstance(`${name}(...)`, api[name](options));
  }
  if (typeof api.copilotRuntimeNextJSAppRouterEndpoint === 'function') {
    const app = api.copilotRuntimeNextJSAppRouterEndpoint(options);
    checkInstance('copilotRuntimeNextJSAppRouterEndpoint(...).handleRequest', app && app.handleRequest);
    for (const m of ['GET', 'POST', 'OPTIONS']) {
      if (typeof (app && app[m]) !== 'function') problems.push(`copilotRuntimeNextJSAppRouterEndpoint(...).${m} is not a function`);
    }
  }
  assert.deepEqual(problems, [], `handlers differ from CopilotRuntimeServerInstance in index.d.ts:\n  ${problems.join('\n  ')}`);
});

test('instances of the exported classes have the public members index.d.ts declares', () => {
  const api = require('../index.js');
  const problems = [];
  for (const [name, members] of Object.entries(declaredClassMembers(path.join(root, 'index.d.ts')))) {
    if (typeof api[name] !== 'function') continue; // reported by the export comparison
    const instance = new api[name]();
    const missing = members.filter((m) => !(m in instance));
    if (missing.length) problems.push(`new ${name}() lacks ${missing.join(', ')}`);
  }
  assert.deepEqual(problems, [], `instances differ from the classes in index.d.ts:\n  ${problems.join('\n  ')}`);
});
