/**
 * `GATEHOUSE_OTEL=true`: `gatehouse start` loads the OpenTelemetry Node SDK, which the operator
 * installs beside Gatehouse (`npm install @opentelemetry/sdk-node`; it needs Node.js 22.15 or later),
 * and starts it before serving. The SDK reads the standard `OTEL_*` variables (exporter, endpoint,
 * sampler, resource); Gatehouse's spans reach it through `@opentelemetry/api` (`core/tracing.ts`).
 */

/** The started SDK: shut down (its last spans exported) when the server stops. */
export interface OtelSdk {
  shutdown(): Promise<void>;
}

/** What this module uses of `@opentelemetry/sdk-node` (not a dependency: typed here). */
interface SdkNodeModule {
  NodeSDK: new (config?: { serviceName?: string }) => { start(): void; shutdown(): Promise<void> };
}

const SDK_PACKAGE = '@opentelemetry/sdk-node';

/**
 * Imports and starts the Node SDK. `OTEL_SERVICE_NAME` names the service (`gatehouse` when unset).
 *
 * @throws {Error} with a one-line message naming the package when it is not installed.
 */
export async function startOtelSdk(env: NodeJS.ProcessEnv, load: (specifier: string) => Promise<unknown> = (specifier) => import(specifier)): Promise<OtelSdk> {
  let module: SdkNodeModule;
  try {
    module = (await load(SDK_PACKAGE)) as SdkNodeModule;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(SDK_PACKAGE)) {
      throw new Error(
        `GATEHOUSE_OTEL=true needs the package "${SDK_PACKAGE}", which is not installed: npm install ${SDK_PACKAGE} (Node.js 22.15 or later), or unset GATEHOUSE_OTEL`,
        { cause: error },
      );
    }
    throw error;
  }
  const sdk = new module.NodeSDK(env.OTEL_SERVICE_NAME ? {} : { serviceName: 'gatehouse' });
  sdk.start();
  return sdk;
}
