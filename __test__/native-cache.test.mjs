// The docs build `new CopilotRuntime()` and the endpoint handler inside every request. A runtime
// that calls no user code must then reuse one native runtime per configuration (no per-request
// native state, nothing for the event loop to scan); one with callbacks keeps its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg } from './support/stack.mjs';

const adapter = () => new pkg.GoogleGenerativeAIAdapter({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });

test('runtimes without callbacks and with the same configuration share one native runtime', () => {
  const a = new pkg.CopilotRuntime()._native(adapter(), { basePath: '/api/copilotkit' });
  const b = new pkg.CopilotRuntime()._native(adapter(), { basePath: '/api/copilotkit' });
  assert.equal(a, b);
  const other = new pkg.CopilotRuntime()._native(adapter(), { basePath: '/api/other' });
  assert.notEqual(a, other);
});

test('a runtime with callbacks keeps its own native runtime', () => {
  const withAction = () => new pkg.CopilotRuntime({ actions: [{ name: 'a', handler: () => 'x' }] });
  const a = withAction()._native(adapter(), { basePath: '/api/copilotkit' });
  const b = withAction()._native(adapter(), { basePath: '/api/copilotkit' });
  assert.notEqual(a, b);
  const shared = new pkg.CopilotRuntime()._native(adapter(), { basePath: '/api/copilotkit' });
  assert.notEqual(a, shared);
});
