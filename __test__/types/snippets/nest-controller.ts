// copilotkit.controller.ts — CopilotKit docs (v1.10.6), "Self Hosting" → NestJS,
// with the Google Generative AI (Gemini) provider selected.
import { All, Controller, Req, Res } from '@nestjs/common';
import { CopilotRuntime, copilotRuntimeNestEndpoint, GoogleGenerativeAIAdapter } from '@copilotkit/runtime';
import { Request, Response } from 'express';

@Controller()
export class CopilotkitController {
  @All('/copilotkit')
  copilotkit(@Req() req: Request, @Res() res: Response) {
    const serviceAdapter = new GoogleGenerativeAIAdapter({ model: 'gemini-2.0-flash' });
    const runtime = new CopilotRuntime();

    const handler = copilotRuntimeNestEndpoint({
      runtime,
      serviceAdapter,
      endpoint: '/copilotkit',
    });
    return handler(req, res);
  }
}
