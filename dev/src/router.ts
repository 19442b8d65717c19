/**
 * The gateway's routing, as API Gateway does it from the OpenAPI document: the path picks a
 * resource (the most specific template that matches: a literal segment beats a `{param}`
 * at the first place they differ), then the method picks the function among that
 * resource's operations. So `GET /v1/media/uploads` is a 405 when only
 * `POST /v1/media/uploads` exists, even though `GET /v1/media/{id}` would match the shape.
 */
import { matchPath } from '@taskman/shared/runtime/http-contract';

export interface Route {
  /** The function that serves it. */
  name: string;
  method: string;
  /** Template with `{param}` segments, e.g. `/v1/users/{id}/role`. */
  path: string;
}

export type RouteMatch =
  | { kind: 'function'; name: string; template: string }
  | { kind: 'method-not-allowed'; allow: string[]; template: string }
  | { kind: 'not-found' };

interface Resource {
  template: string;
  /** 0 for a literal segment, 1 for a parameter: compared in order, lower is more specific. */
  rank: number[];
  byMethod: Map<string, string>;
}

function rankOf(template: string): number[] {
  return template.split('/').map((segment) => (/^\{\w+\}$/.test(segment) ? 1 : 0));
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

/**
 * Builds the lookup of a set of routes; throws on two functions for one method and path.
 * `preflightFor` is an OPTIONS request's `Access-Control-Request-Method`.
 */
export function createRouter(
  routes: readonly Route[],
): (method: string, path: string, preflightFor?: string) => RouteMatch {
  const resources = new Map<string, Resource>();
  for (const route of routes) {
    let resource = resources.get(route.path);
    if (!resource) {
      resource = { template: route.path, rank: rankOf(route.path), byMethod: new Map() };
      resources.set(route.path, resource);
    }
    const method = route.method.toUpperCase();
    const taken = resource.byMethod.get(method);
    if (taken) throw new Error(`${method} ${route.path} is served by both ${taken} and ${route.name}`);
    resource.byMethod.set(method, route.name);
  }
  const ordered = [...resources.values()].sort((a, b) => compareRanks(a.rank, b.rank));

  return (method, path, preflightFor) => {
    const resource = ordered.find((r) => matchPath(r.template, path) !== null);
    if (!resource) return { kind: 'not-found' };
    const verb = method.toUpperCase();
    const name = resource.byMethod.get(verb);
    if (name) return { kind: 'function', name, template: resource.template };
    if (verb === 'OPTIONS') {
      // A CORS preflight goes to the function of the method it asks about (each function
      // allows only its own method); without one, any of the resource's answers it.
      const asked = preflightFor ? resource.byMethod.get(preflightFor.toUpperCase()) : undefined;
      const chosen = asked ?? resource.byMethod.values().next().value;
      if (chosen) return { kind: 'function', name: chosen, template: resource.template };
    }
    return {
      kind: 'method-not-allowed',
      allow: [...resource.byMethod.keys(), 'OPTIONS'],
      template: resource.template,
    };
  };
}
