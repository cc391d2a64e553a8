// A custom service adapter written against the exported adapter types, streaming its answer
// through the event source, used next to the built-in adapters.
import {
  CopilotRuntime,
  EmptyAdapter,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNodeHttpEndpoint,
  type CopilotRuntimeChatCompletionRequest,
  type CopilotRuntimeChatCompletionResponse,
  type CopilotServiceAdapter,
} from "@copilotkit/runtime";
import { randomUUID } from "node:crypto";

export class EchoAdapter implements CopilotServiceAdapter {
  async process(request: CopilotRuntimeChatCompletionRequest): Promise<CopilotRuntimeChatCompletionResponse> {
    const last = request.messages[request.messages.length - 1];
    const text = last && last.isTextMessage() ? last.content : "";
    const tools = request.actions.map((a) => `${a.name}: ${a.description} ${a.jsonSchema}`);
    request.eventSource.stream(async (eventStream$) => {
      const messageId = randomUUID();
      eventStream$.sendTextMessageStart({ messageId });
      eventStream$.sendTextMessageContent({ messageId, content: `echo: ${text} (${tools.length} tools)` });
      eventStream$.sendTextMessageEnd({ messageId });
      if (request.actions.length > 0) {
        eventStream$.sendActionExecution({
          actionExecutionId: randomUUID(),
          actionName: request.actions[0].name,
          args: "{}",
        });
      }
      eventStream$.complete();
    });
    return { threadId: request.threadId || randomUUID(), runId: request.runId };
  }
}

const adapters: CopilotServiceAdapter[] = [
  new EchoAdapter(),
  new EmptyAdapter(),
  new GoogleGenerativeAIAdapter(),
  new GoogleGenerativeAIAdapter({ model: "gemini-1.5-pro", apiKey: "key" }),
];

export const handlers = adapters.map((serviceAdapter) =>
  copilotRuntimeNodeHttpEndpoint({ endpoint: "/copilotkit", runtime: new CopilotRuntime(), serviceAdapter }),
);
