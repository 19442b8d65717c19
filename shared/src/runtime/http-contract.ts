/** The contract of one HTTP function: route, auth and the schemas that guard it. */
import type { z } from 'zod';

export interface HttpContract {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template with `{param}` segments, for example `/v1/tasks/{id}`. */
  path: string;
  /** `none`: public; `user`: any signed-in caller; `admin`: the admin role. */
  auth: 'none' | 'user' | 'admin';
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Accepts `Idempotency-Key`. */
  idempotent?: boolean;
  /** The body is `multipart/form-data`, left unread for the handler to stream. */
  multipart?: true;
  /** Largest body accepted, in bytes (defaults to the configured JSON limit). */
  maxBodyBytes?: number;
  /**
   * Every method served on this path, by whichever function (the manifest fills it). One
   * function answers a path's CORS preflight behind the gateway, so it allows them all.
   */
  pathMethods?: readonly HttpContract['method'][];
  /** Success responses: status → body schema (null: no body). */
  responses: Record<number, z.ZodType | null>;
}

/** Matches a path against a template, returning the decoded params or null. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split('/');
  const p = path.replace(/\/+$/, '').split('/');
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (const [i, seg] of t.entries()) {
    const actual = p[i] ?? '';
    const name = seg.match(/^\{(\w+)\}$/)?.[1];
    if (name) {
      if (!actual) return null;
      try {
        params[name] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (seg !== actual) {
      return null;
    }
  }
  return params;
}
