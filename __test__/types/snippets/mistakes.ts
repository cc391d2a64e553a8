// Mistakes that the 1.10.6 types reject: the same lines must be rejected by our declarations too
// (each `@ts-expect-error` fails the check if the line after it compiles).
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotKitEndpoint,
  copilotRuntimeNextJSAppRouterEndpoint,
  copilotRuntimeNodeHttpEndpoint,
  langGraphPlatformEndpoint,
} from "@copilotkit/runtime";

const runtime = new CopilotRuntime();
const serviceAdapter = new GoogleGenerativeAIAdapter();

// @ts-expect-error the model is a string
new GoogleGenerativeAIAdapter({ model: 42 });

// @ts-expect-error `endpoint` is required
copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter });

// @ts-expect-error a service adapter has a `process` method
copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter: {}, endpoint: "/copilotkit" });

// @ts-expect-error the runtime must be a CopilotRuntime
copilotRuntimeNodeHttpEndpoint({ runtime: {}, serviceAdapter, endpoint: "/copilotkit" });

copilotRuntimeNodeHttpEndpoint({
  runtime,
  serviceAdapter,
  endpoint: "/copilotkit",
  // @ts-expect-error unknown log level
  logLevel: "verbose",
});

// @ts-expect-error `url` is required
copilotKitEndpoint({});

// @ts-expect-error the type is set by the helper
copilotKitEndpoint({ url: "http://localhost:8000", type: "copilotKit" });

// @ts-expect-error `agents` is required
langGraphPlatformEndpoint({ deploymentUrl: "https://example.invalid" });

new CopilotRuntime({
  actions: [
    {
      name: "greet",
      parameters: [{ name: "who", type: "string", required: true }],
      // @ts-expect-error `who` is a string
      handler: async ({ who }: { who: number }) => who,
    },
  ],
});

new CopilotRuntime({
  // @ts-expect-error unknown parameter type
  actions: [{ name: "bad", parameters: [{ name: "x", type: "date" }] }],
});

new CopilotRuntime({
  middleware: {
    onAfterRequest: ({ outputMessages }) => {
      for (const m of outputMessages) {
        // @ts-expect-error only a text message has content
        console.log(m.content);
        if (m.isTextMessage()) {
          // @ts-expect-error a text message has no tool name
          console.log(m.name);
        }
      }
    },
  },
});

// @ts-expect-error unknown constructor option
new CopilotRuntime({ remoteEndpoint: [] });

export const POST = async (req: Request) => {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({ runtime, serviceAdapter, endpoint: "/api/copilotkit" });
  // @ts-expect-error the handler answers with a Response, not a string
  const text: string = await handleRequest(req);
  return new Response(text);
};
