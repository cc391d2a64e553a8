// app/api/copilotkit/route.ts, the other common form: exporting the generated route handlers.
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNextJSAppRouterEndpoint,
} from "@copilotkit/runtime";

const runtime = new CopilotRuntime();
const serviceAdapter = new GoogleGenerativeAIAdapter();

export const { GET, POST, OPTIONS } = copilotRuntimeNextJSAppRouterEndpoint({
  runtime,
  serviceAdapter,
  endpoint: "/api/copilotkit",
});

// Also used with a plain Fetch API Request (e.g. from tests or other frameworks).
export async function handle(request: Request): Promise<Response> {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({
    runtime,
    serviceAdapter,
    endpoint: "/api/copilotkit",
  });
  return handleRequest(request);
}
