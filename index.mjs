// copilot-runtime-rs — ES module entry: the same objects as the CommonJS entry.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const api = require('./index.js');

export default api;

// Every runtime value that index.d.ts declares, as a named export (kept in sync with index.d.ts
// by __test__/exports.test.mjs).
export const {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  EmptyAdapter,
  copilotRuntimeNextJSAppRouterEndpoint,
  copilotRuntimeNextJSPagesRouterEndpoint,
  copilotRuntimeNodeHttpEndpoint,
  copilotRuntimeNodeExpressEndpoint,
  copilotRuntimeNestEndpoint,
  config,
  copilotKitEndpoint,
  langGraphPlatformEndpoint,
  resolveEndpointType,
  flattenToolCallsNoDuplicates,
} = api;
