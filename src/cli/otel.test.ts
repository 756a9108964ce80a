import { describe, expect, it } from 'vitest';
import { startOtelSdk } from './otel.js';

describe('startOtelSdk', () => {
  it('without @opentelemetry/sdk-node installed: a one-line error naming the package', async () => {
    const error = (await startOtelSdk({}).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    ))!;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('"@opentelemetry/sdk-node", which is not installed: npm install @opentelemetry/sdk-node');
    expect(error.message).not.toContain('\n');
  });

  it('starts the SDK, named gatehouse unless OTEL_SERVICE_NAME names it', async () => {
    const made: unknown[] = [];
    let started = 0;
    class NodeSDK {
      constructor(config: unknown) {
        made.push(config);
      }
      start() {
        started += 1;
      }
      shutdown() {
        return Promise.resolve();
      }
    }
    await startOtelSdk({}, () => Promise.resolve({ NodeSDK }));
    await startOtelSdk({ OTEL_SERVICE_NAME: 'idp' }, () => Promise.resolve({ NodeSDK }));
    expect(made).toEqual([{ serviceName: 'gatehouse' }, {}]);
    expect(started).toBe(2);
  });

  it('another failure to load passes through unchanged', async () => {
    const failure = new SyntaxError('bad module');
    await expect(startOtelSdk({}, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
