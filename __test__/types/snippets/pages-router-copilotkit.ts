// pages/api/copilotkit.ts — CopilotKit docs (v1.10.6), "Self Hosting" → Next.js Pages Router,
// with the Google Generative AI (Gemini) provider selected.
import { NextApiRequest, NextApiResponse } from 'next';
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNextJSPagesRouterEndpoint,
} from '@copilotkit/runtime';


const serviceAdapter = new GoogleGenerativeAIAdapter({ model: 'gemini-2.0-flash' });

const handler = async (req: NextApiRequest, res: NextApiResponse) => {
  const runtime = new CopilotRuntime();

  const handleRequest = copilotRuntimeNextJSPagesRouterEndpoint({
    endpoint: '/api/copilotkit',
    runtime,
    serviceAdapter,
  });

  return await handleRequest(req, res);
};

export default handler;

// The runtime reads the raw body itself; apps disable Next's body parser with the exported config.
export { config } from '@copilotkit/runtime';
