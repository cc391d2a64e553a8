// The packed tarball installs into an empty app under the name @copilotkit/runtime and works there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('npm pack tarball installs as @copilotkit/runtime in an empty app and loads', { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crr-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    const info = JSON.parse(out)[0];
    const tarball = path.join(dir, info.filename);
    const names = info.files.map((f) => f.path);
    for (const needed of ['index.js', 'index.mjs', 'index.d.ts', 'binding.js', 'package.json']) {
      assert.ok(names.includes(needed), `tarball lacks ${needed}`);
    }
    assert.ok(names.some((n) => n.endsWith('.node')), 'tarball lacks the native binary');
    assert.ok(!names.some((n) => n.startsWith('src/') || n.startsWith('__test__/')), 'tarball ships sources or tests');

    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'empty-app', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `@copilotkit/runtime@file:${tarball}`], { cwd: app, stdio: 'pipe' });
    const installed = fs.readdirSync(path.join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(installed, ['@copilotkit'], 'the package must install with no dependencies');

    const script = `
      const rt = require('@copilotkit/runtime');
      const runtime = new rt.CopilotRuntime();
      const h = rt.copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter: new rt.GoogleGenerativeAIAdapter(), endpoint: '/api/copilotkit' });
      if (typeof h !== 'function') throw new Error('no handler');
      import('@copilotkit/runtime').then((m) => { if (m.CopilotRuntime !== rt.CopilotRuntime) throw new Error('ESM differs'); console.log('ok'); });
    `;
    const res = execFileSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8' });
    assert.equal(res.trim(), 'ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
