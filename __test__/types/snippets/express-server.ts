// server.ts — CopilotKit docs (v1.10.6), "Self Hosting" → Node.js Express,
// with the Google Generative AI (Gemini) provider selected.
import express from 'express';
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNodeHttpEndpoint,
} from '@copilotkit/runtime';


const app = express();

const serviceAdapter = new GoogleGenerativeAIAdapter({ model: 'gemini-2.0-flash' });

app.use('/copilotkit', (req, res, next) => {
  (async () => {
    const runtime = new CopilotRuntime();
    const handler = copilotRuntimeNodeHttpEndpoint({
      endpoint: '/copilotkit',
      runtime,
      serviceAdapter,
    });

    return handler(req, res);
  })().catch(next);
});

// The handler returned directly. (The docs' LangGraph pages call `handler(req, res, next)`,
// which the 1.10.6 types reject under --strict, so no type-checked app can contain it.)
app.use('/copilotkit-direct', (req, res, next) => {
  const runtime = new CopilotRuntime();
  const handler = copilotRuntimeNodeHttpEndpoint({
    endpoint: '/copilotkit-direct',
    runtime,
    serviceAdapter,
  });

  return handler(req, res);
});

app.listen(4000, () => {
  console.log('Listening at http://localhost:4000/copilotkit');
});
