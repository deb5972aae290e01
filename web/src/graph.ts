// The trace graph, drawn as SVG: money flows left to right from the theft
// to where it is cashed out. The analyst pans (drag), zooms (wheel),
// selects a node (click), collapses what flows out of a node and expands it
// again, and exports the drawing as SVG or PNG. Our own layout is linear in
// the graph's size, so a trace of a few thousand nodes draws at once, also in
// a browser without a GPU.
import { btc } from './dom';

export interface TraceNode {
  id: string;
  kind: 'tx' | 'address';
  label: string;
  txid?: string;
  address?: string;
  height?: number;
  cluster?: number;
  service?: string;
  flags?: string[];
  sats?: number;
}

export interface TraceEdge {
  from: string;
  to: string;
  sats: number;
}

export interface Graph {
  nodes: TraceNode[];
  edges: TraceEdge[];
}

const NS = 'http://www.w3.org/2000/svg';
const COL = 150;
const ROW = 56;

export const colors = {
  tx: '#5b6b82',
  address: '#2d7dd2',
  coinjoin: '#8e44ad',
  peel: '#e67e22',
  cashout: '#d62828',
  cashoutRing: '#ffb703',
  source: '#2a9d8f',
  listed: '#9b2226',
  edge: '#a9b4c2',
};

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...kids: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of kids) el.append(c);
  return el;
}

// flowLayout places a graph left to right: a node's column is its distance
// (in edges) from where the money enters (nodes without incoming edges, and
// the trace's sources), its row its order in the column.
export function flowLayout(g: Graph): { pos: Map<string, { x: number; y: number }>; roots: string[] } {
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  for (const n of g.nodes) {
    out.set(n.id, []);
    indeg.set(n.id, 0);
  }
  for (const e of g.edges) {
    if (!out.has(e.from) || !out.has(e.to)) continue;
    out.get(e.from)!.push(e.to);
    indeg.set(e.to, indeg.get(e.to)! + 1);
  }
  const col = new Map<string, number>();
  const queue = g.nodes.filter((n) => indeg.get(n.id) === 0 || n.flags?.includes('source')).map((n) => n.id);
  const roots = [...queue];
  for (const id of queue) col.set(id, 0);
  let next = 0; // for parts that no root reaches (cycles)
  for (let i = 0; i < queue.length || next < g.nodes.length; i++) {
    if (i === queue.length) {
      while (next < g.nodes.length && col.has(g.nodes[next].id)) next++;
      if (next === g.nodes.length) break;
      col.set(g.nodes[next].id, 0);
      roots.push(g.nodes[next].id);
      queue.push(g.nodes[next].id);
    }
    const id = queue[i];
    for (const to of out.get(id)!) {
      if (!col.has(to)) {
        col.set(to, col.get(id)! + 1);
        queue.push(to);
      }
    }
  }
  const rows = new Map<number, number>();
  for (const id of queue) rows.set(col.get(id)!, (rows.get(col.get(id)!) ?? 0) + 1);
  const seen = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const id of queue) {
    const c = col.get(id)!;
    const r = seen.get(c) ?? 0;
    seen.set(c, r + 1);
    pos.set(id, { x: c * COL, y: (r - (rows.get(c)! - 1) / 2) * ROW });
  }
  return { pos, roots };
}

interface Drawn {
  n: TraceNode;
  x: number;
  y: number;
  el: SVGGElement;
  out: number[]; // edge indexes
}

// FlowGraph is a drawn trace graph.
export class FlowGraph {
  readonly svg: SVGSVGElement;
  private layer: SVGGElement;
  private edgeLayer: SVGGElement;
  private nodeLayer: SVGGElement;
  private nodes = new Map<string, Drawn>();
  private edges: { e: TraceEdge; el: SVGGElement }[] = [];
  private roots: string[] = [];
  private collapsed = new Set<string>();
  private selected: string | null = null;
  private maxSats = 1;
  private view = { x: 0, y: 0, w: 800, h: 500 };
  private width = 0; // of the drawing on screen, in pixels

  constructor(private container: HTMLElement, g: Graph, private onSelect: (n: TraceNode | null) => void) {
    this.svg = svg('svg', { xmlns: NS, class: 'flow', role: 'img', 'aria-label': 'trace graph', 'font-family': 'sans-serif' });
    this.svg.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: colors.edge }))));
    this.layer = svg('g', {});
    this.edgeLayer = svg('g', { class: 'edges' });
    this.nodeLayer = svg('g', { class: 'nodes' });
    this.layer.append(this.edgeLayer, this.nodeLayer);
    this.svg.append(this.layer);
    container.replaceChildren(this.svg);
    this.add(g, null);
    this.fit();
    this.interact();
  }

  // add draws more of a trace; at names the node it grew from.
  add(g: Graph, at: string | null): number {
    const { pos, roots } = flowLayout(g);
    const origin = at ? this.nodes.get(at) : undefined;
    const base = at ? pos.get(at) : undefined;
    let added = 0;
    for (const n of g.nodes) {
      if (this.nodes.has(n.id)) continue;
      const p = pos.get(n.id)!;
      const x = origin && base ? origin.x + p.x - base.x : p.x;
      const y = origin && base ? origin.y + p.y - base.y + ROW / 2 : p.y;
      this.nodes.set(n.id, { n, x, y, el: this.nodeEl(n, x, y), out: [] });
      added++;
    }
    if (!at) this.roots = roots;
    const have = new Set(this.edges.map((x) => x.e.from + '>' + x.e.to));
    for (const e of g.edges) {
      if (have.has(e.from + '>' + e.to) || !this.nodes.has(e.from) || !this.nodes.has(e.to)) continue;
      this.maxSats = Math.max(this.maxSats, e.sats);
      this.nodes.get(e.from)!.out.push(this.edges.length);
      this.edges.push({ e, el: svg('g', {}) });
    }
    this.redrawEdges();
    this.nodeLayer.replaceChildren(...[...this.nodes.values()].map((d) => d.el));
    this.applyVisibility();
    return added;
  }

  private nodeEl(n: TraceNode, x: number, y: number): SVGGElement {
    const f = new Set(n.flags ?? []);
    const fill = f.has('cashout') ? colors.cashout : f.has('source') ? colors.source : f.has('coinjoin') ? colors.coinjoin : n.kind === 'tx' ? colors.tx : colors.address;
    const stroke = f.has('cashout') ? colors.cashoutRing : f.has('listed') ? colors.listed : f.has('peel') ? colors.peel : '#ffffff';
    const common = { fill, stroke, 'stroke-width': f.has('cashout') ? 4 : 3, ...(f.has('listed') && !f.has('cashout') ? { 'stroke-dasharray': '3 2' } : {}) };
    const shape = f.has('coinjoin')
      ? svg('polygon', { points: `${x},${y - 15} ${x + 15},${y} ${x},${y + 15} ${x - 15},${y}`, ...common })
      : n.kind === 'tx' ? svg('rect', { x: x - 12, y: y - 8, width: 24, height: 16, rx: 3, ...common })
        : svg('circle', { cx: x, cy: y, r: f.has('cashout') ? 14 : f.has('source') ? 12 : 9, ...common });
    const lines = [n.label, n.service].filter(Boolean) as string[];
    // No <title> tooltips: the detail panel tells more, and a large graph
    // draws faster without them.
    const g = svg('g', { class: 'node', 'data-id': n.id, tabindex: 0, 'aria-label': `${n.kind} ${n.label}` },
      shape,
      ...lines.map((l, i) => svg('text', { class: 'label', x, y: y + 24 + i * 10, 'font-size': 9, fill: '#1b2430', 'text-anchor': 'middle' }, l)));
    return g;
  }

  private redrawEdges(): void {
    const kids: SVGGElement[] = [];
    for (const x of this.edges) {
      const a = this.nodes.get(x.e.from)!;
      const b = this.nodes.get(x.e.to)!;
      // Stop the line at the target's rim, so that the arrow shows.
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy) || 1;
      const tx = b.x - (dx / len) * 15;
      const ty = b.y - (dy / len) * 15;
      const w = 1 + 5 * Math.sqrt(x.e.sats / this.maxSats);
      x.el.replaceChildren(
        svg('line', { x1: a.x, y1: a.y, x2: tx, y2: ty, stroke: colors.edge, 'stroke-width': w.toFixed(2), 'marker-end': 'url(#arrow)' }),
        svg('text', { class: 'amount', x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, 'font-size': 8, fill: '#44546a', 'text-anchor': 'middle' }, btc(x.e.sats).replace(' BTC', '')));
      kids.push(x.el);
    }
    this.edgeLayer.replaceChildren(...kids);
  }

  // reach returns what the roots reach, not passing through the nodes in
  // stop.
  private reach(stop: Set<string>): Set<string> {
    const seen = new Set<string>(this.roots.filter((r) => this.nodes.has(r)));
    const queue = [...seen];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i];
      if (stop.has(id)) continue;
      for (const ei of this.nodes.get(id)!.out) {
        const to = this.edges[ei].e.to;
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    return seen;
  }

  // applyVisibility shows what the roots reach without passing through a
  // collapsed node, and whatever no root reaches at all (such as what
  // "trace further" added).
  private applyVisibility(): void {
    const shown = this.reach(this.collapsed);
    const reachable = this.collapsed.size ? this.reach(new Set()) : shown;
    let count = 0;
    for (const [id, d] of this.nodes) {
      const on = shown.has(id) || !reachable.has(id);
      if (on) count++;
      d.el.setAttribute('display', on ? 'inline' : 'none');
      d.el.classList.toggle('collapsed', this.collapsed.has(id));
      d.el.classList.toggle('selected', this.selected === id);
    }
    for (const x of this.edges) {
      const vis = (id: string) => shown.has(id) || !reachable.has(id);
      x.el.setAttribute('display', vis(x.e.from) && vis(x.e.to) && !this.collapsed.has(x.e.from) ? 'inline' : 'none');
    }
    this.container.dataset.nodes = String(count);
  }

  isCollapsed(id: string): boolean {
    return this.collapsed.has(id);
  }

  toggle(id: string): void {
    if (this.collapsed.has(id)) this.collapsed.delete(id);
    else this.collapsed.add(id);
    this.applyVisibility();
  }

  expandAll(): void {
    this.collapsed.clear();
    this.applyVisibility();
  }

  // collapseAt collapses every node with the flag (e.g. each CoinJoin).
  collapseFlagged(flag: string): number {
    let n = 0;
    for (const [id, d] of this.nodes) {
      if (d.n.flags?.includes(flag)) {
        this.collapsed.add(id);
        n++;
      }
    }
    this.applyVisibility();
    return n;
  }

  flows(id: string): { in: number; out: number } {
    let i = 0;
    let o = 0;
    for (const x of this.edges) {
      if (x.e.to === id) i += x.e.sats;
      if (x.e.from === id) o += x.e.sats;
    }
    return { in: i, out: o };
  }

  private bounds(): { x: number; y: number; w: number; h: number } {
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (const d of this.nodes.values()) {
      if (d.el.getAttribute('display') === 'none') continue;
      x1 = Math.min(x1, d.x - 60);
      x2 = Math.max(x2, d.x + 60);
      y1 = Math.min(y1, d.y - 30);
      y2 = Math.max(y2, d.y + 45);
    }
    if (x1 === Infinity) return { x: 0, y: 0, w: 100, h: 100 };
    return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
  }

  fit(): void {
    const b = this.bounds();
    const r = this.container.getBoundingClientRect();
    this.width = r.width;
    const aspect = r.width > 0 && r.height > 0 ? r.width / r.height : 1.6;
    const w = Math.max(b.w, b.h * aspect);
    const h = w / aspect;
    this.setView({ x: b.x - (w - b.w) / 2, y: b.y - (h - b.h) / 2, w, h });
  }

  private setView(v: { x: number; y: number; w: number; h: number }): void {
    this.view = v;
    this.svg.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
    // Labels too small to read are not drawn: that keeps a large graph fast.
    const scale = (this.width || 800) / v.w;
    this.svg.classList.toggle('far', scale < 0.75);
    this.svg.classList.toggle('farther', scale < 0.4);
  }

  private interact(): void {
    const toGraph = (ev: MouseEvent) => {
      const r = this.svg.getBoundingClientRect();
      return { x: this.view.x + ((ev.clientX - r.left) / r.width) * this.view.w, y: this.view.y + ((ev.clientY - r.top) / r.height) * this.view.h };
    };
    this.svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const p = toGraph(ev);
      const k = Math.exp(Math.sign(ev.deltaY) * 0.15);
      const v = this.view;
      this.setView({ x: p.x - (p.x - v.x) * k, y: p.y - (p.y - v.y) * k, w: v.w * k, h: v.h * k });
    }, { passive: false });
    let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
    this.svg.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y, moved: false };
    });
    this.svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const r = this.svg.getBoundingClientRect();
      const dx = ((ev.clientX - drag.x) / r.width) * this.view.w;
      const dy = ((ev.clientY - drag.y) / r.height) * this.view.h;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) drag.moved = true;
      if (drag.moved) this.setView({ ...this.view, x: drag.vx - dx, y: drag.vy - dy });
    });
    const end = () => { setTimeout(() => { drag = null; }, 0); };
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointerleave', end);
    this.svg.addEventListener('click', (ev) => {
      if (drag?.moved) return;
      const el = (ev.target as Element).closest('g.node');
      this.select(el ? el.getAttribute('data-id') : null);
    });
    this.svg.addEventListener('keydown', (ev) => {
      const el = (ev.target as Element).closest('g.node');
      if (el && (ev.key === 'Enter' || ev.key === ' ')) {
        ev.preventDefault();
        this.select(el.getAttribute('data-id'));
      }
    });
  }

  select(id: string | null): void {
    this.selected = id && this.nodes.has(id) ? id : null;
    this.applyVisibility();
    this.onSelect(this.selected ? this.nodes.get(this.selected)!.n : null);
  }

  // toSVG returns the whole visible graph as a standalone SVG document.
  toSVG(): string {
    const b = this.bounds();
    const copy = this.svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
    copy.setAttribute('width', String(Math.ceil(b.w)));
    copy.setAttribute('height', String(Math.ceil(b.h)));
    copy.querySelectorAll('[display="none"]').forEach((e) => e.remove());
    copy.removeAttribute('class'); // all labels, at any size
    copy.insertBefore(svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, fill: '#ffffff' }), copy.querySelector('g'));
    return new XMLSerializer().serializeToString(copy);
  }

  // toPNG renders the SVG export at twice its size.
  async toPNG(): Promise<Blob> {
    const text = this.toSVG();
    const b = this.bounds();
    const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = Math.ceil(b.w * 2);
      c.height = Math.ceil(b.h * 2);
      const ctx = c.getContext('2d')!;
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0, b.w, b.h);
      return await new Promise<Blob>((ok, fail) => c.toBlob((x) => (x ? ok(x) : fail(new Error('the browser made no PNG'))), 'image/png'));
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}
