import type { AppProps } from "next/app";
import { CopilotKit } from "@copilotkit/react-core";
import "@copilotkit/react-ui/styles.css";

export default function App({ Component, pageProps }: AppProps) {
  return (
    <CopilotKit runtimeUrl="/api/copilotkit">
      <Component {...pageProps} />
    </CopilotKit>
  );
}
