/**
 * Shapes and failure kinds of the AI routes (/vps/imagem/*), shared by the API, the workflows and the
 * provider activities. Pure module.
 */

/** Failure types thrown by the provider activities; the API maps them to the seed's status codes. */
export const AI_FAILURE_TYPES = {
  /** the provider's API key is not set on the worker */
  notConfigured: 'ProviderNotConfigured',
  /** 401/403: the key is wrong or lacks permission */
  auth: 'ProviderAuth',
  /** 402: no credits left */
  credits: 'ProviderCredits',
  /** 429 (retried, honouring Retry-After, until attempts run out) */
  rateLimited: 'RateLimited',
  /** 5xx, 408 or the network (retried with backoff) */
  unavailable: 'ProviderUnavailable',
  /** 4xx about the request itself (unknown model, size not supported, prompt refused) */
  rejected: 'ProviderRejected',
  /** the answer did not have the required shape (retried) */
  malformed: 'MalformedOutput',
  /** the activity ran past its own timeout */
  timeout: 'Timeout',
} as const;

/** Retrying cannot fix these: the workflows stop at the first one. */
export const AI_NON_RETRYABLE = [AI_FAILURE_TYPES.notConfigured, AI_FAILURE_TYPES.auth, AI_FAILURE_TYPES.credits, AI_FAILURE_TYPES.rejected];

/** One scene or prompt that produced nothing, reported next to the ones that did. */
export interface ItemFailure {
  index: number;
  prompt?: string;
  type: string;
  error: string;
  /** from the provider's last Retry-After, when it was rate limiting */
  retryAfterS?: number;
}

export interface Scene {
  index: number;
  texto: string;
}

export interface IndexedPrompt {
  index: number;
  prompt: string;
}

export interface GeneratePromptsInput {
  cenas: Scene[];
  estilo: string;
  detalhe_estilo: string;
  roteiro: string;
  agente: string;
  /** the request's model, else OPENROUTER_MODEL on the worker */
  model?: string;
}

export interface ScenePromptInput extends Omit<GeneratePromptsInput, 'cenas'> {
  scene: Scene;
}

export interface GeneratePromptsResult {
  model?: string;
  prompts: IndexedPrompt[];
  failures: ItemFailure[];
}

export interface GenerateImagesInput {
  prompts: IndexedPrompt[];
  model: string;
  width: number;
  height: number;
  /** storage key prefix, ending in "/" */
  keyPrefix: string;
}

export interface ImageInput {
  index: number;
  prompt: string;
  model: string;
  width: number;
  height: number;
  /** storage key of the image */
  key: string;
}

export interface GeneratedImage {
  index: number;
  imageURL: string;
  prompt: string;
}

export interface GenerateImagesResult {
  images: GeneratedImage[];
  failures: ItemFailure[];
}
