/**
 * Health of the GPU endpoint: RunPod serverless, or the bundled RunPod-compatible local endpoint
 * (same protocol). Used by /health, /admin/workers/status and the transcription health routes.
 */
import runpodSdk from 'runpod-sdk';
import type { Config } from './config';

/** RunPod's serverless API, or RUNPOD_BASE_URL (the local endpoint, a proxy). */
export function runpodBaseUrl(config: Config): string {
  return (config.RUNPOD_BASE_URL ?? 'https://api.runpod.ai/v2').replace(/\/+$/, '');
}

/** A runpod-sdk client for one endpoint, or null when no GPU backend is configured. */
export function runpodEndpoint(config: Config, endpointId: string) {
  if (!config.RUNPOD_API_KEY) return null;
  return runpodSdk(config.RUNPOD_API_KEY, { baseUrl: runpodBaseUrl(config) }).endpoint(endpointId);
}

export function gpuEndpointHealth(config: Config): () => Promise<{ message: string; [k: string]: unknown }> {
  return async () => {
    if (!config.RUNPOD_BASE_URL && !config.RUNPOD_API_KEY) return { message: 'no GPU endpoint configured (GPU routes will queue until one is)', configured: false };
    const base = runpodBaseUrl(config);
    const res = await fetch(`${base}/${config.RUNPOD_ENDPOINT_ID}/health`, {
      headers: { authorization: `Bearer ${config.RUNPOD_API_KEY ?? ''}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`GPU endpoint health answered HTTP ${res.status}`);
    return { message: 'GPU endpoint reachable', endpointId: config.RUNPOD_ENDPOINT_ID, ...(await res.json() as Record<string, unknown>) };
  };
}
