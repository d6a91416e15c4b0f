/**
 * The Fastify app: zod validation (fastify-type-provider-zod), OpenAPI at /docs generated from the
 * same schemas, X-API-Key auth, CORS, rate limiting, body limits, pino logs with the request id.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import type { AllowList } from '../common/net/ssrf';
import { LocalStorage, type Storage } from '../common/storage';
import { registerApiKeyAuth } from './auth';
import { registerMetrics } from './metrics';
import { sendValidationError } from './errors';
import { JobService } from './jobs/service';
import { registerAdminRoutes } from './routes/admin';
import { registerEventRoutes } from './routes/events';
import { registerFileRoutes } from './routes/files';
import { registerHealthRoutes } from './routes/health';
import { registerJobRoutes } from './routes/jobs';
import { registerImagemRoutes } from './routes/imagem';
import { registerMediaRoutes } from './routes/media';
import { registerTranscriptionRoutes } from './routes/transcription';
import { registerYoutubeRoutes } from './routes/youtube';

export interface ApiDeps {
  client: Client;
  jobs: JobService;
  storage: Storage;
  allowList: AllowList;
  namespace: string;
  temporalAddress: string;
  gpuWorkers: number;
  listQuery: typeof JobService.listQuery;
  /** health of the GPU endpoint (RunPod or the local one) */
  gpuHealth(): Promise<{ message: string; [k: string]: unknown }>;
  /** cancels remote GPU jobs whose workflow is gone; returns how many */
  reconcileGpu(): Promise<number>;
}

export async function buildServer(config: Config, deps: ApiDeps, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    genReqId: () => crypto.randomUUID(),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(cors, { origin: config.CORS_ALLOW_ORIGINS === '*' ? true : config.CORS_ALLOW_ORIGINS.split(',').map((s) => s.trim()) });
  // the limiter runs as an app-level hook *before* the key check, so guessing keys is throttled too
  await app.register(rateLimit, { global: false });
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      // health checks and file downloads are not throttled
      allowList: (req) => Boolean(req.routeOptions.config?.public),
    }),
  );
  await app.register(swagger, {
    openapi: {
      info: { title: 'AutoDark API', version: '1.0.0', description: 'Media automation on Temporal. Compatible with the AutoDark API GPU (seed) contract.' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'X-API-Key', in: 'header' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // the API reference is public, like the health checks
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  registerApiKeyAuth(app, config.apiKey);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return sendValidationError(request, reply, error);
    if (error.statusCode === 429) return reply.code(429).send({ error: 'Too Many Requests', message: error.message });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // malformed JSON, body too large, wrong content type
      return reply.code(error.statusCode).send({ error: error.statusCode === 413 ? 'Payload too large' : 'Bad request', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    const route = request.routeOptions.url ?? '';
    const isJobCreation = request.method === 'POST' && /^\/(runpod|vps)\/video\//.test(route);
    return reply.code(500).send({ error: isJobCreation ? 'Job creation failed' : 'Internal server error', message: config.NODE_ENV === 'production' ? 'An error occurred' : error.message });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'Not found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` }));

  registerHealthRoutes(app, deps);
  const metrics = registerMetrics(app, deps);
  registerMediaRoutes(app, deps, metrics.jobsStarted, config.AUDIO_SYNC_DEADLINE_MS);
  registerTranscriptionRoutes(app, deps);
  registerYoutubeRoutes(app, deps, config);
  registerImagemRoutes(app, deps, config);
  registerJobRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerAdminRoutes(app, deps);
  if (deps.storage instanceof LocalStorage) {
    const local = deps.storage;
    await app.register(async (scope) => registerFileRoutes(scope, local, config.DOWNLOAD_MAX_BYTES));
  }
  return app;
}
