// A runtime using the constructor options apps rely on: server-side actions with parameters
// (docs v1.10.6, "Backend Actions" → TypeScript), middleware hooks that inspect the messages
// with the message predicates, onError, remote endpoints, MCP servers and observability.
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotKitEndpoint,
  copilotRuntimeNextJSAppRouterEndpoint,
  langGraphPlatformEndpoint,
  resolveEndpointType,
  type CopilotRuntimeConstructorParams,
  type MCPClient,
  type MCPEndpointConfig,
} from "@copilotkit/runtime";

// Docs, "Backend Actions" → TypeScript (Node.js): `actions` as a generator of the request's
// properties and url.
const runtime = new CopilotRuntime({
  // ... existing configuration
  actions: ({properties, url}) => {
    // Note that actions returns not an array, but an array **generator**.
    // You can use the input parameters to the actions generator to expose different backend actions to the Copilot at different times: 
    // `url` is the current URL on the frontend application.
    // `properties` contains custom properties you can pass from the frontend application.
    
    return [
      {
        name: "fetchNameForUserId",
        description: "Fetches user name from the database for a given ID.",
        parameters: [
          {
            name: "userId",
            type: "string",
            description: "The ID of the user to fetch data for.",
            required: true,
          },
        ],
        handler: async ({userId}: {userId: string}) => {
          // do something with the userId
          // return the user data
          return {
            name: "Darth Doe",
          };
        },
      },
    ]
  }
});

// Actions as a plain array; handler arguments are typed from the parameter declarations.
const typedRuntime = new CopilotRuntime({
  actions: [
    {
      name: "setThemeColor",
      description: "Sets the theme color.",
      parameters: [
        { name: "color", type: "string", enum: ["red", "green", "blue"], description: "The color", required: true },
        { name: "intensity", type: "number", required: false },
        {
          name: "options",
          type: "object",
          attributes: [
            { name: "animate", type: "boolean" },
            { name: "tags", type: "string[]" },
          ],
        },
        { name: "targets", type: "object[]", attributes: [{ name: "selector", type: "string" }] },
      ],
      handler: async ({ color, intensity, options, targets }) => {
        const c: "red" | "green" | "blue" = color;
        const i: number | undefined = intensity;
        const animate: boolean = options.animate;
        const tags: string[] = options.tags;
        const selectors: string[] = targets.map((t) => t.selector);
        return { c, i, animate, tags, selectors };
      },
    },
    {
      name: "ping",
      handler: () => "pong",
      additionalConfig: { returnDirect: true },
    },
  ],
});

const runtimeWithHooks = new CopilotRuntime({
  middleware: {
    onBeforeRequest: async ({ threadId, runId, inputMessages, properties, url }) => {
      console.log("request", threadId, runId, inputMessages.length, properties, url);
    },
    onAfterRequest: async ({ threadId, runId, inputMessages, outputMessages, properties, url }) => {
      const texts: string[] = [];
      for (const message of [...inputMessages, ...outputMessages]) {
        const id: string = message.id;
        const createdAt: Date = message.createdAt;
        console.log(id, createdAt.toISOString(), message.type);
        if (message.isTextMessage()) {
          texts.push(`${message.role}: ${message.content}`);
        } else if (message.isActionExecutionMessage()) {
          const args: Record<string, any> = message.arguments;
          console.log("tool call", message.name, args, message.parentMessageId);
        } else if (message.isResultMessage()) {
          console.log("result", message.actionExecutionId, message.actionName, message.result);
          if (message.hasError()) console.log(message.getError()?.message);
        } else if (message.isAgentStateMessage()) {
          console.log("agent", message.agentName, message.nodeName, message.state, message.running);
        } else if (message.isImageMessage()) {
          console.log("image", message.format, message.bytes.length, message.role);
        }
      }
      console.log(threadId, runId, properties, url, texts.join("\n"));
    },
  },
  onError: (errorEvent) => {
    console.error("CopilotKit error", errorEvent.type, errorEvent.timestamp, errorEvent.context.source, errorEvent.error);
  },
  onStopGeneration: ({ threadId, runId, agentName, lastMessage, url }) => {
    console.log("stopped", threadId, runId, agentName, lastMessage.id, url);
  },
  remoteEndpoints: [
    copilotKitEndpoint({
      url: process.env.REMOTE_ACTION_URL || "http://localhost:8000/copilotkit",
      onBeforeRequest: ({ ctx }) => ({
        headers: { authorization: ctx.request.headers.get("authorization") ?? "" },
      }),
    }),
    { url: "http://localhost:8001/copilotkit_remote" },
  ],
  delegateAgentProcessingToServiceAdapter: false,
  observability_c: {
    enabled: true,
    progressive: false,
    hooks: {
      handleRequest: (data) => console.log(data.threadId, data.messages.length),
      handleResponse: (data) => console.log(data.latency, data.output),
      handleError: (data) => console.log(data.error),
    },
  },
  mcpServers: [{ endpoint: "http://localhost:8931/sse", apiKey: process.env.MCP_API_KEY }],
  async createMCPClient(config: MCPEndpointConfig): Promise<MCPClient> {
    return {
      async tools() {
        return {
          search: {
            description: `search on ${config.endpoint}`,
            schema: { parameters: { properties: { q: { type: "string" } }, required: ["q"] } },
            async execute(params: { q: string }) {
              return [params.q];
            },
          },
        };
      },
      async close() {},
    };
  },
});

// Endpoint helpers.
const lgp = langGraphPlatformEndpoint({
  deploymentUrl: "https://example.invalid",
  langsmithApiKey: null,
  agents: [{ name: "sample_agent", description: "A sample agent" }],
});
const kinds: string[] = [resolveEndpointType(lgp), resolveEndpointType({ url: "http://localhost:8000/copilotkit" })];

// Constructor params as a standalone, typed value.
const params: CopilotRuntimeConstructorParams = { remoteActions: [{ url: "http://localhost:8000/copilotkit" }] };
const fromParams = new CopilotRuntime(params);

// The public members of a runtime.
const endpoints = runtimeWithHooks.remoteEndpointDefinitions.length;
const agentNames: string[] = Object.keys(runtimeWithHooks.agents);
const fromAgui = fromParams.discoverAgentsFromAgui().map((a) => a.name);

export const POST = async (req: Request) => {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({
    runtime: runtimeWithHooks,
    serviceAdapter: new GoogleGenerativeAIAdapter({ model: "gemini-2.0-flash", apiKey: process.env.GOOGLE_API_KEY }),
    endpoint: "/api/copilotkit",
    properties: { tenant: "acme", flags: { beta: true } },
    logLevel: "warn",
    cloud: { publicApiKey: process.env.COPILOT_CLOUD_PUBLIC_API_KEY },
  });
  return handleRequest(req);
};

export { runtime, typedRuntime, kinds, endpoints, agentNames, fromAgui };
