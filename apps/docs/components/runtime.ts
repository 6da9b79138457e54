// Browser-side setup shared by the demo panels: one tfjs backend for the page, WASM first, CPU as the fallback.
import type { BackendInfo } from '@mnist-cnn/trainer';
import { withBase } from 'vitepress';

let starting: Promise<BackendInfo> | undefined;

/** Starts tfjs once per page on WASM (binaries served from /wasm/), falling back to the CPU backend. */
export function startBackend(): Promise<BackendInfo> {
  starting ??= import('@mnist-cnn/trainer').then(({ initBackend }) =>
    initBackend('auto', { wasmPaths: new URL(withBase('/wasm/'), window.location.href).href }),
  );
  return starting;
}

/** Describes the running backend for people: "wasm (SIMD)", or "cpu — why". */
export function describeBackend(info: BackendInfo): string {
  const name = info.backend === 'wasm' ? `wasm${info.simd ? ' (SIMD)' : ''}` : 'cpu';
  return info.reason ? `${name} — ${info.reason}` : name;
}
