// AG-UI agents passed to the runtime (docs v1.10.6, CopilotRuntime reference → `agents`):
// instances of @ag-ui/client classes and of an app's own AbstractAgent subclass.
import { AbstractAgent, HttpAgent, type BaseEvent, type RunAgentInput } from "@ag-ui/client";
import { Observable } from "rxjs";
import { CopilotRuntime, EmptyAdapter, copilotRuntimeNextJSAppRouterEndpoint } from "@copilotkit/runtime";
import { NextRequest } from "next/server";

class CustomerSupportAgent extends AbstractAgent {
  run(input: RunAgentInput): Observable<BaseEvent> {
    return new Observable<BaseEvent>((subscriber) => {
      console.log(input.threadId, input.runId);
      subscriber.complete();
    });
  }
}

const serviceAdapter = new EmptyAdapter();

const runtime = new CopilotRuntime({
  agents: {
    support: new CustomerSupportAgent({ description: "Answers support questions" }),
    research: new HttpAgent({ url: "http://localhost:8000/agent", description: "A research agent" }),
  },
});

export const POST = async (req: NextRequest) => {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({
    runtime,
    serviceAdapter,
    endpoint: "/api/copilotkit",
  });

  return handleRequest(req);
};
