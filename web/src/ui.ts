import { APIError, type Session } from './api';
import { h, type Child } from './dom';

// Ctx is what a page gets: where to draw, its path parameters and query,
// the session, and a way to move to another page.
export interface Ctx {
  main: HTMLElement;
  params: string[];
  query: URLSearchParams;
  session: Session;
  go: (path: string) => void;
}

export function errorBox(err: unknown): HTMLElement {
  if (err instanceof APIError) {
    return h('div', { class: 'error', role: 'alert' }, h('strong', null, `${err.status} ${err.code}: `), err.message);
  }
  return h('div', { class: 'error', role: 'alert' }, String(err));
}

export function notice(kind: 'info' | 'warn' | 'ok', ...children: Child[]): HTMLElement {
  return h('div', { class: 'notice notice-' + kind, role: 'status' }, ...children);
}

// section is a titled block of a page.
export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', null, h('h2', null, title), ...children);
}

// facts is a two-column list of labelled values.
export function facts(rows: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// settle waits for a promise and hands back its value or its error, so that
// independent calls of a page can fail alone.
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    if (error instanceof APIError && error.status === 401) throw error;
    return { ok: false, error };
  }
}
