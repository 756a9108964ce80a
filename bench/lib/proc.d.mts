/** Types of proc.mjs (a plain module: bench runs without a build), for `npm run chaos`. */
export declare function cpuSeconds(pid: number, options?: { reapedChildren?: boolean }): number;
export declare function peakRssMiB(pid: number): number | undefined;
export declare function resetPeak(pid: number): boolean;
export declare function machineBusySeconds(): number;
export declare function idleMachineLoad(seconds: number): Promise<number>;
export declare function cpuModel(): string;
