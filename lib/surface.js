// copilot-runtime-rs — the plain-JavaScript value exports of the public surface (see index.d.ts):
// the remote-endpoint helpers, `flattenToolCallsNoDuplicates` and the Next.js Pages Router
// `config`. Everything exported here is exported by the package (index.js spreads it), so export
// nothing that @copilotkit/runtime 1.10.6 does not export; internal types live in lib/internal.js.
'use strict';

const { EndpointType } = require('./internal');

/** `{ ...config, type: "copilotKit" }`. */
function copilotKitEndpoint(config) {
  return { ...config, type: EndpointType.CopilotKit };
}

/** `{ ...config, type: "langgraph-platform" }`. */
function langGraphPlatformEndpoint(config) {
  return { ...config, type: EndpointType.LangGraphPlatform };
}

/**
 * The endpoint's own `type`; without one, an endpoint with both `deploymentUrl` and `agents` is a
 * LangGraph Platform endpoint and anything else a CopilotKit endpoint.
 */
function resolveEndpointType(endpoint) {
  if (endpoint.type) return endpoint.type;
  return 'deploymentUrl' in endpoint && 'agents' in endpoint ? EndpointType.LangGraphPlatform : EndpointType.CopilotKit;
}

/** The actions in order, keeping only the first of each name. */
function flattenToolCallsNoDuplicates(toolsByPriority) {
  const seen = new Set();
  const result = [];
  for (const tool of toolsByPriority) {
    if (seen.has(tool.name)) continue;
    seen.add(tool.name);
    result.push(tool);
  }
  return result;
}

/** Next.js Pages Router API route config: the runtime reads the request body itself. */
const config = { api: { bodyParser: false } };

module.exports = {
  copilotKitEndpoint,
  langGraphPlatformEndpoint,
  resolveEndpointType,
  flattenToolCallsNoDuplicates,
  config,
};
