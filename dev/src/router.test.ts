/** The gateway routing: template specificity, methods, preflights. */
import { describe, expect, it } from 'vitest';
import { createRouter, type Route } from './router.ts';

const ROUTES: Route[] = [
  { name: 'usersGet', method: 'GET', path: '/v1/users/{id}' },
  { name: 'usersSetRole', method: 'PUT', path: '/v1/users/{id}/role' },
  { name: 'mediaGet', method: 'GET', path: '/v1/media/{id}' },
  { name: 'mediaDelete', method: 'DELETE', path: '/v1/media/{id}' },
  { name: 'mediaUpload', method: 'POST', path: '/v1/media/uploads' },
  { name: 'tasksList', method: 'GET', path: '/v1/tasks' },
  { name: 'tasksCreate', method: 'POST', path: '/v1/tasks' },
  { name: 'notificationsRead', method: 'POST', path: '/v1/notifications/{id}/read' },
  { name: 'notificationsReadAll', method: 'POST', path: '/v1/notifications/read-all' },
  { name: 'detach', method: 'DELETE', path: '/v1/tasks/{id}/media/{mediaId}' },
  { name: 'literalLast', method: 'GET', path: '/v1/tasks/{id}/media/latest' },
];

const route = createRouter(ROUTES);

describe('createRouter', () => {
  it('routes by template and method', () => {
    expect(route('GET', '/v1/users/abc')).toMatchObject({ kind: 'function', name: 'usersGet' });
    expect(route('PUT', '/v1/users/abc/role')).toMatchObject({ kind: 'function', name: 'usersSetRole' });
    expect(route('POST', '/v1/tasks')).toMatchObject({ kind: 'function', name: 'tasksCreate' });
    expect(route('get', '/v1/tasks/')).toMatchObject({ kind: 'function', name: 'tasksList' });
  });

  it('prefers a literal segment over a parameter, whatever the declaration order', () => {
    expect(route('POST', '/v1/media/uploads')).toMatchObject({ kind: 'function', name: 'mediaUpload' });
    expect(route('GET', '/v1/media/xyz')).toMatchObject({ kind: 'function', name: 'mediaGet' });
    expect(route('POST', '/v1/notifications/read-all')).toMatchObject({ name: 'notificationsReadAll' });
    expect(route('POST', '/v1/notifications/n1/read')).toMatchObject({ name: 'notificationsRead' });
    expect(route('GET', '/v1/tasks/t1/media/latest')).toMatchObject({ name: 'literalLast' });
    expect(route('DELETE', '/v1/tasks/t1/media/m1')).toMatchObject({ name: 'detach' });
  });

  it('answers 405 data for a known path with another method, the resource chosen by the path alone', () => {
    expect(route('PATCH', '/v1/media/xyz')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'DELETE', 'OPTIONS'],
      template: '/v1/media/{id}',
    });
    // The literal resource wins even though GET /v1/media/{id} has the method.
    expect(route('GET', '/v1/media/uploads')).toEqual({
      kind: 'method-not-allowed',
      allow: ['POST', 'OPTIONS'],
      template: '/v1/media/uploads',
    });
  });

  it('answers not-found for unknown paths, wrong depths and empty parameters', () => {
    expect(route('GET', '/v1/nope')).toEqual({ kind: 'not-found' });
    expect(route('GET', '/v1/users/a/b/c')).toEqual({ kind: 'not-found' });
    expect(route('GET', '/v1/users//role')).toEqual({ kind: 'not-found' });
    expect(route('GET', '/users/abc')).toEqual({ kind: 'not-found' });
    expect(route('GET', '/')).toEqual({ kind: 'not-found' });
  });

  it('sends a preflight to the function of the method it asks about', () => {
    expect(route('OPTIONS', '/v1/media/xyz', 'DELETE')).toMatchObject({ name: 'mediaDelete' });
    expect(route('OPTIONS', '/v1/media/xyz', 'GET')).toMatchObject({ name: 'mediaGet' });
    expect(route('OPTIONS', '/v1/media/xyz')).toMatchObject({ kind: 'function', name: 'mediaGet' });
    expect(route('OPTIONS', '/v1/media/xyz', 'PUT')).toMatchObject({ kind: 'function', name: 'mediaGet' });
    expect(route('OPTIONS', '/v1/nope', 'GET')).toEqual({ kind: 'not-found' });
  });

  it('refuses two functions for one method and path', () => {
    expect(() =>
      createRouter([
        { name: 'a', method: 'GET', path: '/v1/x/{id}' },
        { name: 'b', method: 'GET', path: '/v1/x/{id}' },
      ]),
    ).toThrow('GET /v1/x/{id} is served by both a and b');
  });
});
