// Calls to the trawl API with the session cookie. State-changing calls send
// the session's CSRF token; errors become APIError with the server's message.

export const TAXII_ROOT = '/taxii2/hub/';
export const MEDIA_TAXII = 'application/taxii+json;version=2.1';

export class APIError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
  // missingRoute reports a 404 for the route itself (a server without that
  // feature), as opposed to a missing object.
  get missingRoute(): boolean {
    return this.status === 404 && this.message.startsWith('no such resource');
  }
}

export interface Principal {
  key_id: string;
  org_id: string;
  org: string;
  operator: boolean;
  user_id?: string;
  role: string;
}

export interface Session {
  principal: Principal;
  org: { id: string; name: string; title: string; operator: boolean };
  csrf_token: string;
  expires_at: string;
}

let csrf = '';

export function setSession(s: Session | null): void {
  csrf = s ? s.csrf_token : '';
}

export interface CallOptions {
  accept?: string;
  contentType?: string;
  raw?: boolean; // return the Response's body as a Blob
}

export async function call<T>(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = o.contentType ?? 'application/json';
    payload = JSON.stringify(body);
  }
  const resp = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (!resp.ok) {
    let code = 'error';
    let message = `${resp.status} ${resp.statusText}`;
    try {
      const e = await resp.json();
      if (e.error) {
        code = e.error.code;
        message = e.error.message;
      } else if (e.description) {
        code = e.error_code ?? code; // TAXII error message
        message = e.description;
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new APIError(resp.status, code, message);
  }
  if (o.raw) return (await resp.blob()) as T;
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

export const get = <T>(path: string, o?: CallOptions) => call<T>('GET', path, undefined, o);
export const post = <T>(path: string, body: unknown, o?: CallOptions) => call<T>('POST', path, body, o);

export function taxiiGet<T>(path: string): Promise<T> {
  return get<T>(TAXII_ROOT + path, { accept: MEDIA_TAXII });
}

export function taxiiPost<T>(path: string, body: unknown): Promise<T> {
  return post<T>(TAXII_ROOT + path, body, { accept: MEDIA_TAXII, contentType: MEDIA_TAXII });
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}
