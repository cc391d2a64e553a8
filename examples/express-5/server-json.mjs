// Express with a JSON body parser mounted before the CopilotKit handler (many apps have one for
// their other routes): the handler must still get the request, whose body was already read.
import express from "express";
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNodeExpressEndpoint,
} from "@copilotkit/runtime";

const app = express();
app.use(express.json());

const serviceAdapter = new GoogleGenerativeAIAdapter();
const runtime = new CopilotRuntime();

app.use("/copilotkit", (req, res, next) => {
  const handler = copilotRuntimeNodeExpressEndpoint({
    endpoint: "/copilotkit",
    runtime,
    serviceAdapter,
  });

  return handler(req, res, next);
});

const port = Number(process.env.PORT ?? 4000);
const host = process.env.HOST ?? "127.0.0.1";
app.listen(port, host, () => {
  console.log(`Listening at http://${host}:${port}/copilotkit`);
});
