// NestJS: the CopilotKit docs' snippet (a middleware for the /copilotkit route), with Gemini as the
// service adapter.
import { MiddlewareConsumer, Module, NestModule } from "@nestjs/common";
import {
  CopilotRuntime,
  GoogleGenerativeAIAdapter,
  copilotRuntimeNestEndpoint,
} from "@copilotkit/runtime";

@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply((req, res, next) => {
        const serviceAdapter = new GoogleGenerativeAIAdapter();
        const runtime = new CopilotRuntime();
        const handler = copilotRuntimeNestEndpoint({
          runtime,
          serviceAdapter,
          endpoint: "/copilotkit",
        });
        return handler(req, res, next);
      })
      .forRoutes("/copilotkit");
  }
}
