/**
 * Error bodies. The seed's routes answered validation errors in five different shapes (API-CONTRACT
 * §1); each route declares its family in `config.errorStyle` and keeps its old shape, always naming
 * every bad field.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export type ErrorStyle = 'joi' | 'joi-strict' | 'audio' | 'transcription' | 'imagem' | 'plain';

declare module 'fastify' {
  interface FastifyContextConfig {
    errorStyle?: ErrorStyle;
    /** route answers without X-API-Key (health checks) */
    public?: boolean;
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export function fieldErrors(error: FastifyError): FieldError[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [{ field: '(body)', message: error.message }];
  return error.validation.map((v) => {
    const base = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const keys = (v.params as { keys?: string[] }).keys;
    if (v.keyword === 'unrecognized_keys' && keys?.length) {
      return { field: keys.map((k) => (base ? `${base}.${k}` : k)).join(', '), message: `is not allowed (unknown key${keys.length > 1 ? 's' : ''})` };
    }
    const message = v.message ?? 'is invalid';
    if (v.keyword === 'invalid_type' && /received undefined/.test(message)) return { field: base || '(body)', message: 'is required' };
    return { field: base || '(body)', message };
  });
}

export function sendValidationError(request: FastifyRequest, reply: FastifyReply, error: FastifyError) {
  const details = fieldErrors(error);
  const messages = details.map((d) => `${d.field}: ${d.message}`);
  switch (request.routeOptions.config.errorStyle ?? 'joi') {
    case 'joi':
      return reply.code(400).send({ error: 'Validation error', message: 'Invalid request parameters', details });
    case 'joi-strict':
      return reply.code(400).send({ error: 'Validation failed', message: messages.join(', '), details });
    case 'audio':
      return reply.code(400).send({ success: false, error: 'Validation error', message: messages[0], details });
    case 'transcription': {
      const missing = details.find((d) => d.message === 'is required');
      return reply.code(400).send({ error: missing ? 'Missing required parameter' : 'Validation error', message: missing ? `${missing.field} is required` : messages.join(', '), details });
    }
    case 'imagem':
      return reply.code(400).send({ error: 'Validation error', message: messages.join(', '), details, requestId: request.id });
    default:
      return reply.code(400).send({ error: 'Validation error', message: messages.join(', '), details });
  }
}
