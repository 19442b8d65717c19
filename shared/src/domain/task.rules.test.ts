/** The status workflow and the permission rules, exhaustively. */
import { describe, expect, it } from 'vitest';
import type { Principal } from './common.schema.ts';
import {
  canManage,
  canSee,
  canTransition,
  changedFields,
  forbiddenFields,
  relationTo,
  TRANSITIONS,
  viewersOf,
} from './task.rules.ts';
import { type Task, TaskStatusSchema } from './task.schema.ts';

const ALLOWED = new Set([
  'PENDING>IN_PROGRESS',
  'PENDING>COMPLETED',
  'PENDING>CANCELLED',
  'IN_PROGRESS>PENDING',
  'IN_PROGRESS>COMPLETED',
  'IN_PROGRESS>CANCELLED',
  'COMPLETED>IN_PROGRESS',
  'CANCELLED>PENDING',
]);

const task: Task = {
  id: 't1',
  title: 'Write tests',
  description: '',
  status: 'PENDING',
  priority: 'MEDIUM',
  dueDate: null,
  ownerId: 'owner',
  assigneeId: 'assignee',
  labels: [],
  mediaIds: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
};

const who = (uid: string, role: Principal['role'] = 'member'): Principal => ({ uid, email: undefined, role });

describe('status transitions', () => {
  const statuses = TaskStatusSchema.options;
  for (const from of statuses) {
    for (const to of statuses) {
      if (from === to) continue;
      const allowed = ALLOWED.has(`${from}>${to}`);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }
  it('the table lists exactly the allowed changes of API.md', () => {
    const listed = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`));
    expect(new Set(listed)).toEqual(ALLOWED);
  });
  it('staying in the same status is not a change', () => {
    for (const s of statuses) expect(canTransition(s, s)).toBe(true);
  });
});

describe('relations and permissions', () => {
  it('owner, admin, assignee and stranger are told apart', () => {
    expect(relationTo(task, who('owner'))).toBe('owner');
    expect(relationTo(task, who('someone', 'admin'))).toBe('admin');
    expect(relationTo(task, who('assignee'))).toBe('assignee');
    expect(relationTo(task, who('stranger'))).toBe('stranger');
    expect(relationTo(task, who('owner', 'admin'))).toBe('owner');
  });
  it('strangers see nothing; owners and admins manage; assignees only see', () => {
    expect(canSee('stranger')).toBe(false);
    expect(['owner', 'admin', 'assignee'].every((r) => canSee(r as 'owner'))).toBe(true);
    expect(canManage('owner')).toBe(true);
    expect(canManage('admin')).toBe(true);
    expect(canManage('assignee')).toBe(false);
  });
  it('the assignee may change the status only', () => {
    expect(forbiddenFields('assignee', { status: 'IN_PROGRESS' })).toEqual([]);
    expect(forbiddenFields('assignee', { status: 'IN_PROGRESS', title: 'x' })).toEqual(['title']);
    expect(forbiddenFields('assignee', { labels: [] })).toEqual(['labels']);
    expect(forbiddenFields('owner', { title: 'x', assigneeId: null })).toEqual([]);
  });
});

describe('changed fields and viewers', () => {
  it('names only fields whose value really changes', () => {
    expect(changedFields(task, { title: 'Write tests', status: 'IN_PROGRESS', labels: [] })).toEqual([
      'status',
    ]);
    expect(changedFields(task, { assigneeId: null, dueDate: '2026-02-01T00:00:00.000Z' })).toEqual([
      'dueDate',
      'assigneeId',
    ]);
  });
  it('viewers are the owner and the assignee, once each', () => {
    expect(viewersOf(task)).toEqual(['owner', 'assignee']);
    expect(viewersOf({ ownerId: 'a', assigneeId: 'a' })).toEqual(['a']);
    expect(viewersOf({ ownerId: 'a', assigneeId: null })).toEqual(['a']);
  });
});
