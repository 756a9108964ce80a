/** Types of fault-proxy.mjs (a plain module, so `npm run chaos` runs it without a build). */
export declare class FaultProxy {
  readonly target: { host: string; port: number };
  port: number;
  constructor(target: { host: string; port: number }, port?: number);
  static open(target: { host: string; port: number }): Promise<FaultProxy>;
  get state(): 'killed' | 'frozen' | 'slow' | 'up';
  start(): Promise<void>;
  kill(): Promise<void>;
  freeze(): void;
  thaw(): void;
  slow(ms: number): void;
  close(): Promise<void>;
}
