/** X-API-Key on every route but health checks, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export function registerApiKeyAuth(app: FastifyInstance, apiKey: string): void {
  // compare digests so neither length nor content leaks through timing
  const expected = createHash('sha256').update(apiKey).digest();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public) return;
    // Prometheus and some HTTP tools can only send Authorization: accept the key there too
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const given = request.headers['x-api-key'] ?? bearer;
    const digest = createHash('sha256').update(typeof given === 'string' ? given : '').digest();
    if (typeof given !== 'string' || !timingSafeEqual(digest, expected)) {
      return reply.code(401).send({ error: 'Unauthorized', message: 'Invalid or missing API key' });
    }
  });
}
