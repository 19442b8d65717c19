/**
 * A small generator of hostile requests for the "bad input never breaks a function"
 * property: from a route's valid body it derives malformed JSON, non-objects, each field
 * replaced with each hostile value, hostile names inside record-valued fields (what
 * Firestore reserves), missing and unknown fields, deep nesting, huge and
 * oversize bodies and wrong content types; for query strings, bad values of each parameter,
 * repeats and unknown names; for path ids, the ids no store makes. The contract's own zod
 * schema is the oracle: a generated body or query it accepts is not hostile and is dropped,
 * so every case left must be refused with a 4xx.
 */
import { parse as parseQuery } from 'node:querystring';
import type { ErrorCode } from '@taskman/shared/errors/app-error';
import type { z } from 'zod';

export interface HostileCase {
  /** What the case is, for failure reports. */
  label: string;
  /** Appended to the route's path (a query string starting with `?`, or nothing). */
  query?: string;
  /** Replaces the route's path (id cases). */
  path?: string;
  /** The body as sent; undefined sends the route's valid body, null sends none. */
  raw?: string | Buffer | null;
  contentType?: string;
  headers?: Record<string, string>;
  /** The status the contract requires, or any 4xx where several are right. */
  expect: number | '4xx';
  code?: ErrorCode;
}

/** Values no field of the API should take as they are (the oracle drops those it does). */
export const HOSTILE_VALUES: readonly [string, unknown][] = [
  ['null', null],
  ['zero', 0],
  ['negative', -1],
  ['fraction', 1.5],
  ['huge number', 1e308],
  ['true', true],
  ['empty array', []],
  ['array of a string', ['x']],
  ['empty object', {}],
  ['operator object', { $gt: '' }],
  ['empty string', ''],
  ['blank string', '   '],
  ['20,000 characters', 'x'.repeat(20_000)],
  ['null byte', '\u0000'],
  ['path traversal', '../../etc/passwd'],
  ['lone surrogate', '\ud800'],
];

/**
 * Names no record-valued field (preferences) should take: the ones Firestore reserves
 * (`__.*__`) or refuses (empty, over 1,500 bytes, not UTF-8).
 */
export const HOSTILE_NAMES: readonly [string, string][] = [
  ['reserved __x__', '__x__'],
  ['reserved __name__', '__name__'],
  ['empty', ''],
  ['1,501 characters', 'x'.repeat(1_501)],
  ['lone surrogate', '\ud800'],
];

/** Texts sent as application/json that are not JSON at all. */
export const MALFORMED_JSON: readonly string[] = [
  '{',
  '{"',
  '}',
  '[',
  'nul',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}}',
  '{"a":01}',
  '{"a":"\\x"}',
  '{"a":undefined}',
  'NaN',
  '\u0000',
  '{"a":"unterminated}',
];

/** JSON that parses but is not an object. */
export const NOT_OBJECTS: readonly string[] = ['null', '42', '"text"', 'true', '[]', '[{}]'];

const DEPTH = 20_000;
const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

/** The JSON text of `valid` with `key` set to the raw JSON `rawValue`. */
function withRawField(valid: Record<string, unknown>, key: string, rawValue: string): string {
  const marker = '"__HOSTILE_VALUE__"';
  return JSON.stringify({ ...valid, [key]: '__HOSTILE_VALUE__' }).replace(marker, rawValue);
}

function accepts(schema: z.ZodType, value: unknown): boolean {
  return schema.safeParse(value).success;
}

/** Hostile bodies for a route whose body schema is `schema` and a valid body `valid`. */
export function bodyCases(
  schema: z.ZodType,
  valid: Record<string, unknown>,
  limitBytes: number,
): HostileCase[] {
  const cases: HostileCase[] = [];
  const json = JSON.stringify(valid);
  for (const raw of [...MALFORMED_JSON, json.slice(0, -1), json.slice(0, Math.floor(json.length / 2))]) {
    cases.push({ label: `malformed JSON ${JSON.stringify(raw.slice(0, 40))}`, raw, expect: 400 });
  }
  for (const raw of [...NOT_OBJECTS, `[${json}]`]) {
    cases.push({ label: `not an object: ${raw.slice(0, 40)}`, raw, expect: 400 });
  }
  cases.push({ label: 'an empty body', raw: '', expect: 400, code: 'REQUEST.VALIDATION' });

  // Each field replaced, removed; fields added.
  const candidates: [string, Record<string, unknown>][] = [];
  for (const key of Object.keys(valid)) {
    for (const [name, value] of HOSTILE_VALUES)
      candidates.push([`${key} = ${name}`, { ...valid, [key]: value }]);
    const { [key]: _removed, ...rest } = valid;
    candidates.push([`${key} missing`, rest]);
  }
  for (const [key, value] of [
    ['extra', 1],
    ['id', 'AAAAAAAAAAAAAAAAAAAA'],
    ['ownerId', 'AAAAAAAAAAAAAAAAAAAA'],
    ['role', 'admin'],
    ['version', 99],
    ['', 'empty key'],
  ] as const) {
    candidates.push([`unknown field ${JSON.stringify(key)}`, { ...valid, [key]: value }]);
  }
  candidates.push([
    '5,000 unknown fields',
    { ...valid, ...Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, i])) },
  ]);
  candidates.push(['empty object', {}]);
  // Names inside a record-valued field: what Firestore reserves or refuses never reaches it.
  for (const [key, value] of Object.entries(valid)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const [label, name] of HOSTILE_NAMES) {
      candidates.push([`${key} with a name ${label}`, { ...valid, [key]: { ...value, [name]: 1 } }]);
    }
  }
  for (const [label, body] of candidates) {
    if (!accepts(schema, body)) cases.push({ label, raw: JSON.stringify(body), expect: 400 });
  }

  // Raw JSON no JS object literal gives: __proto__ and constructor keys, deep nesting.
  const proto = `{"__proto__":{"role":"admin","isAdmin":true},${json.slice(1)}`;
  const ctor = `{"constructor":{"prototype":{"role":"admin"}},${json.slice(1)}`;
  for (const [label, raw] of [
    ['__proto__ key', proto],
    ['constructor key', ctor],
  ] as const) {
    if (!accepts(schema, JSON.parse(raw))) cases.push({ label, raw, expect: 400 });
  }
  for (const key of Object.keys(valid)) {
    cases.push({
      label: `${key} nested ${DEPTH} deep`,
      raw: withRawField(valid, key, deepArray),
      expect: 400,
    });
  }
  cases.push({ label: `a body nested ${DEPTH} deep`, raw: deepArray, expect: 400 });

  // Sizes: large but within the limit (judged on its fields), over the limit (413).
  const firstString = Object.keys(valid).find((k) => typeof valid[k] === 'string');
  if (firstString) {
    const big = { ...valid, [firstString]: 'x'.repeat(Math.floor(limitBytes * 0.75)) };
    if (!accepts(schema, big)) {
      cases.push({
        label: `${firstString} of ${limitBytes * 0.75} bytes`,
        raw: JSON.stringify(big),
        expect: 400,
      });
    }
  }
  cases.push({
    label: 'a body over the size limit',
    raw: JSON.stringify({ ...valid, pad: 'x'.repeat(limitBytes + 1) }),
    expect: 413,
    code: 'REQUEST.TOO_LARGE',
  });
  cases.push({
    label: 'a non-JSON body over the size limit',
    raw: Buffer.alloc(limitBytes + 1, 0x61),
    contentType: 'application/octet-stream',
    expect: 413,
    code: 'REQUEST.TOO_LARGE',
  });

  // The valid body under other media types.
  for (const contentType of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
    'application/merge-patch+json',
    'application/json; charset=latin1',
  ]) {
    cases.push({
      label: `the valid body as ${contentType}`,
      raw: json,
      contentType,
      expect: 415,
      code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    });
  }
  cases.push(wrongCharsetCase(valid));
  return cases;
}

/** The valid body's bytes read in a charset they are not in: broken JSON. */
export function wrongCharsetCase(valid: Record<string, unknown>): HostileCase {
  return {
    label: 'UTF-8 bytes declared as UTF-16',
    raw: JSON.stringify(valid),
    contentType: 'application/json; charset=utf-16',
    expect: 400,
  };
}

/** A body on a route that takes none. */
export function unexpectedBodyCases(): HostileCase[] {
  return [
    { label: 'an unexpected JSON body', raw: '{"a":1}', expect: 400 },
    { label: 'unexpected malformed JSON', raw: '{"a":', expect: 400 },
    { label: 'an unexpected text body', raw: 'hello', contentType: 'text/plain', expect: 415 },
  ];
}

/** Values of any query parameter that no parameter takes as they are. */
const BAD_QUERY_VALUES: readonly string[] = [
  '',
  '%00',
  'x'.repeat(3_000),
  '%27%20OR%201%3D1',
  '..%2F..%2Fetc',
  '%ZZ',
  '%E0%A4',
  '-1',
  '0',
  '101',
  '1e309',
  'null',
  '%7B%7D',
  '9'.repeat(400),
];

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const BAD_CURSORS: readonly string[] = [
  'garbage',
  '!!!!',
  b64({}),
  b64({ p: [], q: '' }),
  b64({ p: [null, 'x'], q: 'zzzzzzzzzzzz' }),
  b64([1, 2, 3]),
];

/** Whether a parsed query names a cursor (which only the server can make). */
function hasCursor(query: Record<string, unknown>): boolean {
  return query.cursor !== undefined && query.cursor !== '';
}

/** Hostile query strings for a route with query schema `schema` (none: any query is wrong). */
export function queryCases(schema: z.ZodObject | undefined): HostileCase[] {
  const queries: [string, string][] = [
    ['an unknown parameter', 'unknown=1'],
    ['__proto__', '__proto__=x'],
    ['an empty name', '=1'],
    ['an array-style name', 'a[]=1&a[]=2'],
  ];
  for (const name of Object.keys(schema?.shape ?? {})) {
    for (const value of BAD_QUERY_VALUES) queries.push([`${name}=${value.slice(0, 20)}`, `${name}=${value}`]);
    queries.push([`${name} twice`, `${name}=1&${name}=2`]);
    queries.push([`${name}[]`, `${name}[]=1`]);
    if (name === 'cursor') {
      for (const cursor of BAD_CURSORS) queries.push([`cursor ${cursor.slice(0, 20)}`, `cursor=${cursor}`]);
    }
  }
  const cases: HostileCase[] = [];
  for (const [label, query] of queries) {
    const parsed = parseQuery(query);
    if (schema && accepts(schema, parsed) && !hasCursor(parsed)) continue;
    cases.push({ label: `query ${label}`, query: `?${query}`, expect: 400 });
  }
  return cases;
}

/** Path ids no store makes; the gateway or the function must refuse each with a 4xx. */
export const BAD_IDS: readonly string[] = [
  '%00',
  'ab%00cd',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  'x'.repeat(300),
  'a%20b',
  '%zz',
  '%C3%A9',
  '*',
  '%27%20OR%201%3D1',
  '$where',
  '%E2%80%AE',
];

/** The path `template` with its `{param}` (default `{id}`) replaced by each bad id. */
export function idCases(template: string, param = 'id'): HostileCase[] {
  return BAD_IDS.map((id) => ({
    label: `${param} ${id.slice(0, 30)}`,
    path: template.replace(`{${param}}`, id),
    expect: '4xx' as const,
  }));
}

/** One part of a hand-made multipart body, CRLF line ends as the format wants. */
function part(boundary: string, disposition: string, contentType: string | null, bytes: Buffer): Buffer {
  const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${contentType ? `Content-Type: ${contentType}\r\n` : ''}\r\n`;
  return Buffer.concat([Buffer.from(head), bytes, Buffer.from('\r\n')]);
}

/**
 * Hostile bodies for a `multipart/form-data` upload route taking one part `file` of at most
 * `limitBytes`: other media types, broken multipart (no boundary, garbage, cut short inside
 * the file, no closing boundary), the file in the wrong part or as a plain field, an empty
 * file, HTML named `.jpg`, and files over the limit, announced or not by Content-Length.
 * `image` is a real image, so that only the flaw named makes each case hostile.
 */
export function multipartCases(image: Buffer, limitBytes: number): HostileCase[] {
  const b = 'hostile-boundary';
  const type = `multipart/form-data; boundary=${b}`;
  const end = Buffer.from(`--${b}--\r\n`);
  const file = (bytes: Buffer, name = 'file', filename = 'photo.jpg') =>
    part(b, `form-data; name="${name}"; filename="${filename}"`, 'image/jpeg', bytes);
  const whole = (...parts: Buffer[]) => Buffer.concat([...parts, end]);
  const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>\n');
  // JPEG magic, then filler: an image as far as the first bytes tell, over the limit.
  const oversize = (size: number) =>
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(size - 4, 0x20)]);
  const unsupported = { expect: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' } as const;
  return [
    { label: 'a JSON body', raw: '{"file":"x"}', ...unsupported },
    { label: 'no body at all', raw: null, ...unsupported },
    {
      label: 'the image as application/octet-stream',
      raw: image,
      contentType: 'application/octet-stream',
      ...unsupported,
    },
    { label: 'the image as image/jpeg', raw: image, contentType: 'image/jpeg', ...unsupported },
    {
      label: 'form-urlencoded',
      raw: 'file=x',
      contentType: 'application/x-www-form-urlencoded',
      ...unsupported,
    },
    {
      label: 'multipart without a boundary',
      raw: whole(file(image)),
      contentType: 'multipart/form-data',
      expect: 400,
    },
    {
      label: 'multipart with another boundary',
      raw: whole(file(image)),
      contentType: 'multipart/form-data; boundary=other',
      expect: 400,
    },
    { label: 'multipart garbage', raw: 'garbage', contentType: type, expect: 400 },
    { label: 'an empty multipart body', raw: '', contentType: type, expect: 400 },
    { label: 'only the closing boundary', raw: end, contentType: type, expect: 400 },
    { label: 'the file part cut short', raw: file(image).subarray(0, 2_000), contentType: type, expect: 400 },
    { label: 'no closing boundary', raw: file(image), contentType: type, expect: 400 },
    {
      label: 'the file in a part named "other"',
      raw: whole(file(image, 'other')),
      contentType: type,
      expect: 400,
    },
    {
      label: 'the file as a plain field',
      raw: whole(part(b, 'form-data; name="file"', null, image)),
      contentType: type,
      expect: 400,
    },
    {
      label: 'an empty file',
      raw: whole(file(Buffer.alloc(0))),
      contentType: type,
      expect: 400,
      code: 'REQUEST.VALIDATION',
    },
    { label: 'HTML named .jpg', raw: whole(file(html)), contentType: type, ...unsupported },
    {
      label: `a file of ${limitBytes + 1} bytes`,
      raw: whole(file(oversize(limitBytes + 1))),
      contentType: type,
      expect: 413,
      code: 'REQUEST.TOO_LARGE',
    },
    {
      label: `a file of ${limitBytes + 200_000} bytes`,
      raw: whole(file(oversize(limitBytes + 200_000))),
      contentType: type,
      expect: 413,
      code: 'REQUEST.TOO_LARGE',
    },
  ];
}
