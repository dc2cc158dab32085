// HTTP for the audit log: filtered pages, export, and chain verification.
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import type { PlatformDeps } from '../area.ts';
import { decodeContinue, encodeContinue, listQuerySchema, pageSize } from '../http/paging.ts';
import type { AuditFilter } from './service.ts';

const iso = { type: 'string', format: 'date-time', maxLength: 40 } as const;
const filterSchema = {
  actor: { type: 'string', maxLength: 253 }, tenant: { type: 'string', maxLength: 63 }, resource: { type: 'string', maxLength: 100 },
  action: { type: 'string', maxLength: 100 }, outcome: { type: 'string', enum: ['success', 'failure'] }, since: iso, until: iso,
} as const;

const recordSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' }, time: { type: 'string' }, actor: { type: 'string' }, sourceIp: { type: 'string' }, action: { type: 'string' },
    resource: { type: 'string' }, name: { type: 'string' }, tenant: { type: 'string' }, outcome: { type: 'string' }, code: { type: 'integer' },
    requestId: { type: 'string' }, detail: { type: 'object', additionalProperties: true }, hash: { type: 'string' },
  },
} as const;

function filterOf(q: Record<string, string | undefined>): AuditFilter {
  const norm = (t: string | undefined) => (t ? new Date(t).toISOString() : undefined);
  return { actor: q.actor, tenant: q.tenant, resource: q.resource, action: q.action, outcome: q.outcome, since: norm(q.since), until: norm(q.until) };
}

/** Registers the audit routes under the API prefix. */
export async function auditRoutes(app: FastifyInstance, deps: PlatformDeps): Promise<void> {
  const { audit } = deps;

  app.get('/audit', {
    config: { permission: 'audit:list' },
    schema: {
      tags: ['audit'], summary: 'Audit records, newest first, filtered',
      querystring: { type: 'object', additionalProperties: false, properties: { ...filterSchema, ...listQuerySchema } },
      response: { 200: { type: 'object', properties: { kind: { type: 'string' }, items: { type: 'array', items: recordSchema }, metadata: { type: 'object', properties: { continue: { type: 'string' } } } } } },
    },
  }, async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const page = await audit.list(filterOf(q), pageSize(q.limit), decodeContinue(q.continue, 'number'));
    return { kind: 'AuditList', items: page.items, metadata: page.next !== undefined ? { continue: encodeContinue(page.next) } : {} };
  });

  app.get('/audit/export', {
    config: { permission: 'audit:export' },
    schema: {
      tags: ['audit'], summary: 'Export matching records, oldest first, as JSON Lines or CSV',
      querystring: { type: 'object', additionalProperties: false, properties: { ...filterSchema, format: { type: 'string', enum: ['jsonl', 'csv'] } } },
    },
  }, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const format = q.format === 'csv' ? 'csv' : 'jsonl';
    reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    reply.header('content-disposition', `attachment; filename="berth-audit.${format}"`);
    return reply.send(Readable.from(audit.export(filterOf(q), format)));
  });

  app.get('/audit/verify', {
    config: { permission: 'audit:verify' },
    schema: {
      tags: ['audit'], summary: 'Verify the hash chain; reports the first altered, inserted or deleted record',
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, checked: { type: 'integer' }, firstBad: { type: 'object', properties: { seq: { type: 'integer' }, problem: { type: 'string' }, message: { type: 'string' } } } } } },
    },
  }, async () => audit.verify());
}
