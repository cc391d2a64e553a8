// server.ts — Express with the Express-specific factory, mounted directly as middleware.
import express from "express";
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNodeExpressEndpoint,
} from "@copilotkit/runtime";

const app = express();
const serviceAdapter = new GoogleGenerativeAIAdapter({ apiKey: process.env.GOOGLE_API_KEY });
const runtime = new CopilotRuntime();

const copilotHandler = copilotRuntimeNodeExpressEndpoint({
  endpoint: "/copilotkit",
  runtime,
  serviceAdapter,
});

app.use("/copilotkit", copilotHandler);

app.use("/copilotkit-wrapped", (req, res) => {
  const handler = copilotRuntimeNodeExpressEndpoint({
    endpoint: "/copilotkit-wrapped",
    runtime,
    serviceAdapter,
  });
  return handler(req, res);
});

app.listen(4000);
