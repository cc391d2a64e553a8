// The public TypeScript surface (index.d.ts) against the docs' own code:
// - the snippets under __test__/types/snippets (CopilotKit docs v1.10.6 code for each framework,
//   plus option and mistake coverage) type-check under --strict against OUR index.d.ts, and
// - the very same snippets type-check against the REAL @copilotkit/runtime@1.10.6 declarations
//   (installed as the devDependency alias @copilotkit/runtime-1.10.6), which proves they are
//   valid 1.10.6 code, `@ts-expect-error` lines included;
// - index.d.ts itself compiles under --strict with skipLibCheck off and no DOM library, and
//   depends on nothing but Node's types.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = path.join(root, '__test__', 'types');
const ourDts = path.join(root, 'index.d.ts');
const realDir = path.join(root, 'node_modules', '@copilotkit', 'runtime-1.10.6');

function tsc(project) {
  const tscBin = require.resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tscBin, '-p', path.resolve(typesDir, project), '--strict', '--noEmit', '--pretty', 'false', '--listFiles'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = `${r.stdout}${r.stderr}`.split('\n');
  const errors = lines.filter((l) => /error TS\d+/.test(l) || /^\s{2,}\S/.test(l));
  const files = lines.filter((l) => l.startsWith('/') || /^[A-Za-z]:[\\/]/.test(l)).map((l) => path.resolve(l.trim()));
  return { status: r.status, errors, files };
}

function assertCompiles(result, what) {
  assert.equal(result.status, 0, `${what} does not type-check:\n${result.errors.join('\n')}`);
}

const snippetCount = ts.sys.readDirectory(path.join(typesDir, 'snippets'), ['.ts']).length;

test('the snippets are there', () => {
  assert.ok(snippetCount >= 8, `expected the docs snippets under __test__/types/snippets, found ${snippetCount}`);
});

test('docs snippets type-check against our index.d.ts (--strict)', () => {
  const result = tsc('tsconfig.ours.json');
  assertCompiles(result, 'the snippets against index.d.ts');
  assert.ok(result.files.includes(ourDts), '@copilotkit/runtime did not resolve to index.d.ts');
  assert.ok(!result.files.some((f) => f.startsWith(realDir + path.sep)), 'the real 1.10.6 declarations were pulled in');
});

test('the same snippets type-check against the real @copilotkit/runtime@1.10.6 declarations (--strict)', () => {
  assert.ok(
    ts.sys.fileExists(path.join(realDir, 'dist', 'index.d.ts')),
    'npm install the devDependency "@copilotkit/runtime-1.10.6" (npm:@copilotkit/runtime@1.10.6)',
  );
  const pkg = JSON.parse(readFileSync(path.join(realDir, 'package.json'), 'utf8'));
  assert.equal(pkg.version, '1.10.6');
  const result = tsc('tsconfig.real.json');
  assertCompiles(result, 'the snippets against @copilotkit/runtime@1.10.6');
  assert.ok(result.files.includes(path.join(realDir, 'dist', 'index.d.ts')), '@copilotkit/runtime did not resolve to 1.10.6');
  assert.ok(!result.files.includes(ourDts), 'our index.d.ts was pulled in');
});

test('index.d.ts compiles on its own under --strict, skipLibCheck off, without the DOM library', () => {
  const result = tsc('tsconfig.dts.json');
  assertCompiles(result, 'index.d.ts');
  assert.ok(result.files.includes(ourDts));
});

test('index.d.ts refers to no package but Node', () => {
  const text = readFileSync(ourDts, 'utf8');
  const source = ts.createSourceFile(ourDts, text, ts.ScriptTarget.Latest, true);
  const specifiers = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifiers.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      specifiers.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const referencedTypes = source.typeReferenceDirectives.map((d) => d.fileName);
  const notNode = [...specifiers.filter((s) => !s.startsWith('node:')), ...referencedTypes.filter((t) => t !== 'node')];
  assert.deepEqual(notNode, [], `index.d.ts must depend only on @types/node, but refers to: ${notNode.join(', ')}`);
  assert.deepEqual(source.referencedFiles, [], 'index.d.ts must not reference other files');
});

test('an app resolving the installed package by name (nodenext, ESM and CommonJS) gets index.d.ts', () => {
  // node_modules/@copilotkit/runtime is this package, as after `npm install @copilotkit/runtime@...`;
  // only @types/node (and the undici-types it uses) is installed beside it.
  const app = mkdtempSync(path.join(os.tmpdir(), 'crr-types-'));
  try {
    cpSync(path.join(typesDir, 'consumer'), app, { recursive: true });
    mkdirSync(path.join(app, 'node_modules', '@copilotkit'), { recursive: true });
    mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
    symlinkSync(root, path.join(app, 'node_modules', '@copilotkit', 'runtime'), 'dir');
    symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'), 'dir');
    symlinkSync(path.join(root, 'node_modules', 'undici-types'), path.join(app, 'node_modules', 'undici-types'), 'dir');
    const result = tsc(path.join(app, 'tsconfig.json'));
    assertCompiles(result, 'the nodenext apps');
    assert.ok(result.files.includes(ourDts), 'the package name did not resolve to index.d.ts');
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
