// A small DOM builder. Text always goes in as text nodes, never as HTML, so
// that data from the hub cannot inject markup.

export type Child = Node | string | number | null | undefined | false | Child[];

type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: any) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') {
      el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    } else if (k === 'class') {
      el.className = String(v);
    } else if (k === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

// link is an in-app link; the router intercepts clicks on it.
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: '/ui/' + href.replace(/^\//, ''), 'data-link': true }, ...children);
}

export function table(head: string[], rows: Child[][], cls = ''): HTMLTableElement {
  return h('table', { class: 'grid ' + cls },
    h('thead', null, h('tr', null, head.map((c) => h('th', null, c)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))));
}

export function mono(s: string): HTMLElement {
  return h('code', { class: 'mono' }, s);
}

// short shortens a long identifier for display; the title keeps all of it.
export function short(s: string, keep = 10): HTMLElement {
  const text = s.length > keep * 2 + 1 ? s.slice(0, keep) + '…' + s.slice(-keep) : s;
  return h('code', { class: 'mono', title: s }, text);
}

export function btc(sats: number | undefined | null): string {
  if (sats === undefined || sats === null) return '—';
  const neg = sats < 0;
  const abs = Math.abs(sats);
  const whole = Math.floor(abs / 1e8);
  const frac = String(abs % 1e8).padStart(8, '0');
  // Not toLocaleString: it costs a millisecond a call, and a trace formats
  // thousands of amounts.
  return (neg ? '-' : '') + String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + frac + ' BTC';
}

export function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = h('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// uuid4 works in insecure contexts too (crypto.randomUUID does not).
export function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
