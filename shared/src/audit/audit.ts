/**
 * The audit trail: the `audit` consumer writes one entry per event envelope (exactly once,
 * by the consumer wrapper; its id is the envelope's, so even a repeat would rewrite the
 * same entry), kept `AUDIT_RETENTION_DAYS` through its `expiresAt` (a Firestore TTL
 * policy). `listAudit` serves `GET /v1/audit`, newest first.
 */

import type { Consumer } from '../application/consumer.ts';
import { pageOf } from '../application/cursor.ts';
import { config } from '../config/config.ts';
import type { AuditEntry, EntityType, ListAuditQuery } from '../domain/audit.schema.ts';
import type { Page } from '../domain/common.schema.ts';
import { type EventEnvelope, isWellFormed } from '../domain/event.schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID, type Where } from '../ports/document-store.ts';

export const AUDIT = 'audit';

/** An audit document: the entry plus its expiry time. */
export type AuditDoc = AuditEntry & { expiresAt: Date };

/**
 * What an event is about: task (`data.task.id`), media (`data.mediaId`) or user
 * (`data.userId`); nothing when its data does not have its type's shape.
 */
export function subjectOf(envelope: EventEnvelope): { entityType: EntityType; entityId: string } | null {
  if (!isWellFormed(envelope)) return null;
  switch (envelope.eventType) {
    case 'task.created':
    case 'task.updated':
    case 'task.deleted':
      return { entityType: 'task', entityId: envelope.data.task.id };
    case 'media.uploaded':
    case 'media.processed':
    case 'media.failed':
    case 'media.deleted':
      return { entityType: 'media', entityId: envelope.data.mediaId };
    case 'user.registered':
      return { entityType: 'user', entityId: envelope.data.userId };
  }
}

/** The audit document of `envelope`, kept `retentionDays` after it occurred. */
export function auditDocOf(envelope: EventEnvelope, retentionDays: number): AuditDoc {
  const subject = subjectOf(envelope);
  if (!subject) {
    throw new AppError('REQUEST.VALIDATION', `The ${envelope.eventType} event names no entity it is about.`);
  }
  return {
    id: envelope.id,
    eventId: envelope.id,
    eventType: envelope.eventType,
    ...subject,
    actorId: envelope.actorId,
    correlationId: envelope.correlationId,
    occurredAt: envelope.timestamp,
    data: envelope.data,
    expiresAt: new Date(Date.parse(envelope.timestamp) + retentionDays * 86_400_000),
  };
}

/** The audit consumer (the same for every topic). */
export function auditConsumer(retentionDays: () => number = () => config().auditRetentionDays): Consumer {
  return {
    async apply(envelope, tx) {
      const doc = auditDocOf(envelope, retentionDays());
      tx.set(AUDIT, doc.id, doc);
    },
  };
}

/** The entry as API.md shows it (no storage fields). */
function toEntry(doc: AuditDoc): AuditEntry {
  const { expiresAt: _expiresAt, ...entry } = doc;
  return entry;
}

/** `GET /v1/audit`: entries matching every filter given, newest first, in pages. */
export async function listAudit(query: ListAuditQuery, deps: Pick<Deps, 'store'>): Promise<Page<AuditEntry>> {
  const where: Where[] = [];
  if (query.entityType) where.push({ field: 'entityType', op: '==', value: query.entityType });
  if (query.entityId) where.push({ field: 'entityId', op: '==', value: query.entityId });
  if (query.actorId) where.push({ field: 'actorId', op: '==', value: query.actorId });
  return pageOf<AuditDoc, AuditEntry>(
    deps.store,
    {
      collection: AUDIT,
      where,
      orderBy: [
        { field: 'occurredAt', direction: 'desc' },
        { field: DOC_ID, direction: 'desc' },
      ],
    },
    query.limit,
    query.cursor,
    (doc) => toEntry(doc.data),
  );
}
