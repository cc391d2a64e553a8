// server.ts — CopilotKit docs (v1.10.6), "Self Hosting" → Node.js HTTP,
// with the Google Generative AI (Gemini) provider selected.
import { createServer } from 'node:http';
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNodeHttpEndpoint,
} from '@copilotkit/runtime';


const serviceAdapter = new GoogleGenerativeAIAdapter({ model: 'gemini-2.0-flash' });

const server = createServer((req, res) => {
  const runtime = new CopilotRuntime();
  const handler = copilotRuntimeNodeHttpEndpoint({
    endpoint: '/copilotkit',
    runtime,
    serviceAdapter,
  });

  return handler(req, res);
});

server.listen(4000, () => {
  console.log('Listening at http://localhost:4000/copilotkit');
});

// The handler is itself a request listener.
const listener = copilotRuntimeNodeHttpEndpoint({
  endpoint: '/copilotkit',
  runtime: new CopilotRuntime(),
  serviceAdapter,
});
createServer(listener).listen(4001);
