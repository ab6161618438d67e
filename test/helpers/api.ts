import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { testActor, type TestContext } from './deps.ts';

/** A fresh API token of that role; returns the bearer secret. */
export async function makeToken(t: TestContext, role: 'admin' | 'responder', name = `${role}-bot`) {
  const { secret, token } = await createApiToken(t.deps, { name, role }, testActor);
  return { secret, id: token.id };
}

/** Calls the app in-process with a bearer token and a JSON body. */
export function api(t: TestContext, secret: string | null) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const h: Record<string, string> = { ...headers };
    if (secret) h.authorization = `Bearer ${secret}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await t.app.request(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, res };
  };
  return {
    get: (p: string, headers?: Record<string, string>) => call('GET', p, undefined, headers),
    post: (p: string, b?: unknown, headers?: Record<string, string>) =>
      call('POST', p, b ?? {}, headers),
    patch: (p: string, b?: unknown) => call('PATCH', p, b ?? {}),
    put: (p: string, b?: unknown) => call('PUT', p, b ?? {}),
    del: (p: string) => call('DELETE', p),
  };
}
