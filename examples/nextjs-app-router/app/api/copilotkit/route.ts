import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNextJSAppRouterEndpoint,
} from "@copilotkit/runtime";
import { NextRequest } from "next/server";

const serviceAdapter = new GoogleGenerativeAIAdapter({ model: "gemini-2.5-flash" });

const runtime = new CopilotRuntime({
  // A server-side action (backend action): runs here, its result goes back to the model.
  actions: () => [
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
      handler: async ({ userId }: { userId: string }) => {
        // do something with the userId
        // return the user data
        return {
          name: "Darth Doe",
          userId,
        };
      },
    },
  ],
});

export const POST = async (req: NextRequest) => {
  const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({
    runtime,
    serviceAdapter,
    endpoint: "/api/copilotkit",
  });

  return handleRequest(req);
};
