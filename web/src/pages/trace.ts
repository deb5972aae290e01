import { APIError, call, enc, taxiiPost } from '../api';
import { btc, clear, download, h, link, mono, short, table, uuid4 } from '../dom';
import { FlowGraph, type Graph, type TraceNode } from '../graph';
import { select as tlpSelect, TLP2 } from '../tlp';
import { errorBox, facts, notice, section, type Ctx } from '../ui';
import { collections, pollStatus, statusNotice, type CollectionView, type StixObject } from './intel';

interface TraceRequest {
  from: string[];
  model: string;
  direction: string;
  max_hops: number;
  min_sats: number;
  max_edges?: number;
  max_results?: number;
}

// The graph draws the largest flows; more would not be readable, and the
// layout's cost grows with them.
const MAX_EDGES = 160;
// The results table shows the largest; the totals count everything.
const MAX_RESULTS = 300;

interface TraceResult {
  address: string;
  cluster?: number;
  service?: string;
  category?: string;
  sats: number;
  hops: number;
  txid: string;
  vout: number;
  kind: 'cashout' | 'held' | 'capped';
}

interface Trace {
  model: string;
  direction: string;
  max_hops: number;
  sources: { from: string; outputs: number; sats: number }[];
  results: TraceResult[];
  totals: { source_sats: number; cashout_sats: number; held_sats: number; fee_sats: number; dropped_sats: number };
  graph: Graph & { truncated?: boolean };
  capped: boolean;
  truncated?: boolean;
  touched_txs: number;
}

const TRACE = '/api/v1/btc/trace';

// parseFrom reads the starting points, one per line or separated by commas.
export function parseFrom(s: string): string[] {
  return [...new Set(s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))];
}

const fromRE = /^([0-9a-fA-F]{64}(:\d{1,6})?|cluster:\d{1,12}|label:.{1,200}|[A-Za-z0-9]{14,100})$/;

function validate(req: TraceRequest): string {
  if (!req.from.length) return 'from: give at least one starting point (txid, txid:vout, address, cluster:N or label:NAME)';
  if (req.from.length > 1000) return 'from: at most 1000 starting points';
  const bad = req.from.find((f) => !fromRE.test(f));
  if (bad) return `from: "${bad}" is not a txid, txid:vout, address, cluster:N or label:NAME`;
  if (!Number.isInteger(req.max_hops) || req.max_hops < 1 || req.max_hops > 1000) return 'max hops: want a whole number from 1 to 1000';
  if (!Number.isInteger(req.min_sats) || req.min_sats < 0) return 'min sats: want a whole number ≥ 0';
  return '';
}

export async function tracePage(ctx: Ctx): Promise<void> {
  document.title = 'Trace — trawl';
  const q = ctx.query;
  const from = h('textarea', { name: 'from', id: 'trace-from', rows: 3, value: q.getAll('from').join('\n'), placeholder: 'theft txid, txid:vout, address, cluster:N or label:NAME — one per line' });
  const model = h('select', { name: 'model' }, ['haircut', 'poison', 'fifo'].map((m) => h('option', { value: m, selected: m === (q.get('model') ?? 'haircut') }, m)));
  const direction = h('select', { name: 'direction' }, ['forward', 'backward'].map((d) => h('option', { value: d, selected: d === (q.get('direction') ?? 'forward') }, d)));
  const hops = h('input', { type: 'number', name: 'max_hops', min: 1, max: 1000, value: q.get('max_hops') ?? 20 });
  const minSats = h('input', { type: 'number', name: 'min_sats', min: 0, value: q.get('min_sats') ?? 0 });
  const out = h('div', { id: 'trace-out' });
  const request = (): TraceRequest => ({ from: parseFrom(from.value), model: model.value, direction: direction.value, max_hops: Number(hops.value), min_sats: Number(minSats.value), max_edges: MAX_EDGES, max_results: MAX_RESULTS });
  const form = h('form', { class: 'card', id: 'trace-form', onsubmit: (ev: Event) => {
    ev.preventDefault();
    const req = request();
    const bad = validate(req);
    if (bad) {
      clear(out, notice('warn', bad));
      return;
    }
    const qs = new URLSearchParams();
    req.from.forEach((f) => qs.append('from', f));
    qs.set('model', req.model);
    qs.set('direction', req.direction);
    qs.set('max_hops', String(req.max_hops));
    qs.set('min_sats', String(req.min_sats));
    ctx.go('trace?' + qs);
  } },
  h('label', { for: 'trace-from' }, 'Start from'), from,
  h('div', { class: 'row' }, h('label', null, 'Model ', model), h('label', null, 'Direction ', direction), h('label', null, 'Max hops ', hops), h('label', null, 'Min sats ', minSats),
    h('button', { type: 'submit' }, 'Trace')));
  clear(ctx.main, h('h1', null, 'Trace'),
    h('p', null, 'Follow coins from a theft through peel chains and CoinJoins to the deposit addresses where they are cashed out.'),
    form, out);
  const req = request();
  if (!req.from.length) return;
  const bad = validate(req);
  if (bad) {
    clear(out, notice('warn', bad));
    return;
  }
  clear(out, h('p', { class: 'busy' }, 'Tracing…'));
  let t: Trace;
  const writable = collections().then((cs) => cs.filter((c) => c.can_write)).catch(() => []);
  try {
    t = await call<Trace>('POST', TRACE, req);
  } catch (e) {
    if (e instanceof APIError && e.missingRoute) {
      clear(out, notice('warn', h('b', null, 'Tracing is not available on this hub. '),
        `POST ${TRACE} answered 404: this server has no chain index with tracing yet. The address, transaction and screening pages work without it.`));
      out.dataset.unavailable = '1';
      return;
    }
    clear(out, errorBox(e));
    return;
  }
  await showTrace(out, t, req, await writable);
}

async function showTrace(out: HTMLElement, t: Trace, req: TraceRequest, writable: CollectionView[]): Promise<void> {
  const cashouts = t.results.filter((r) => r.kind === 'cashout');
  const graphBox = h('div', { id: 'graph', class: 'graph' });
  const detail = h('aside', { id: 'node-detail', class: 'detail' }, h('p', { class: 'hint' }, 'Click a node for its details; collapse or expand what flows out of it.'));
  const msg = h('div', { class: 'msg' });
  let fg: FlowGraph | null = null;
  const resultsBox = h('div', { id: 'trace-results' });

  const exportServer = async (format: 'csv' | 'dot') => {
    try {
      const b = await call<Blob>('POST', `${TRACE}?format=${format}`, req, { raw: true, accept: '*/*' });
      download(`trace.${format}`, b);
    } catch (e) {
      clear(msg, errorBox(e));
    }
  };
  const coll = h('select', { name: 'collection', id: 'stix-collection' });
  const tlp = tlpSelect('tlp', 'amber');
  const toolbar = h('div', { class: 'toolbar', id: 'graph-tools' },
    h('button', { type: 'button', onclick: () => fg?.fit() }, 'Fit'),
    h('button', { type: 'button', id: 'collapse-coinjoins', onclick: () => { fg?.collapseFlagged('coinjoin'); fg?.fit(); } }, 'Collapse CoinJoins'),
    h('button', { type: 'button', id: 'expand-all', onclick: () => { fg?.expandAll(); fg?.fit(); } }, 'Expand all'),
    h('button', { type: 'button', id: 'export-png', onclick: async () => {
      try {
        if (fg) download('trace.png', await fg.toPNG());
      } catch (e) {
        clear(msg, errorBox(e));
      }
    } }, 'PNG'),
    h('button', { type: 'button', id: 'export-svg', onclick: () => fg && download('trace.svg', new Blob([fg.toSVG()], { type: 'image/svg+xml' })) }, 'SVG'),
    h('button', { type: 'button', id: 'export-dot', onclick: () => exportServer('dot') }, 'DOT'),
    h('button', { type: 'button', id: 'export-csv', onclick: () => exportServer('csv') }, 'CSV'),
    h('span', { class: 'sep' }),
    h('label', null, 'STIX indicators of the ', String(new Set(cashouts.map((c) => c.address)).size), ' cash-out addresses → ', coll, ' ', tlp),
    h('button', { type: 'button', id: 'export-stix', onclick: () => postIndicators() }, 'Post to collection'),
    h('button', { type: 'button', onclick: () => download('trace-indicators.json', new Blob([JSON.stringify(bundle(cashouts, TLP2[tlp.value], req), null, 2)], { type: 'application/stix+json' })) }, 'Download bundle'));

  const postIndicators = async () => {
    clear(msg);
    if (!coll.value) {
      clear(msg, notice('warn', 'Choose a collection your organization may write to.'));
      return;
    }
    const b = bundle(cashouts, TLP2[tlp.value], req);
    if (!b.objects.length) {
      clear(msg, notice('warn', 'This trace found no cash-out address to share.'));
      return;
    }
    try {
      const st = await pollStatus(await taxiiPost(`collections/${enc(coll.value)}/objects/`, { objects: b.objects }));
      clear(msg, statusNotice(st, 'indicator(s)'));
    } catch (e) {
      clear(msg, errorBox(e));
    }
  };

  const showNode = (n: TraceNode | null) => {
    if (!n || !fg) {
      clear(detail, h('p', { class: 'hint' }, 'Click a node for its details.'));
      return;
    }
    const g = fg;
    const rows: [string, HTMLElement | string][] = [['kind', n.kind]];
    if (n.address) rows.push(['address', link('address/' + enc(n.address), short(n.address, 12))]);
    if (n.txid) rows.push(['transaction', link('tx/' + n.txid, short(n.txid, 12))]);
    if (n.height !== undefined) rows.push(['block', String(n.height)]);
    if (n.cluster !== undefined) rows.push(['cluster', link('cluster/' + n.cluster, 'cluster:' + n.cluster)]);
    if (n.service) rows.push(['service', n.service]);
    if (n.flags?.length) rows.push(['marks', n.flags.join(', ')]);
    const f = g.flows(n.id);
    rows.push(['in / out', `${btc(f.in)} / ${btc(f.out)}`]);
    clear(detail, h('h3', null, n.label), facts(rows),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', id: 'toggle-node', onclick: () => { g.toggle(n.id); showNode(n); } }, g.isCollapsed(n.id) ? 'Expand' : 'Collapse'),
        n.address || n.txid ? h('button', { type: 'button', onclick: () => traceFurther(n) }, 'Trace further from here') : null));
  };

  const traceFurther = async (n: TraceNode) => {
    if (!fg) return;
    try {
      const more = await call<Trace>('POST', TRACE, { ...req, from: [n.address ?? n.txid!] });
      const added = fg.add(more.graph, n.id);
      clear(msg, notice('ok', `${added} node(s) added from ${n.label}.`));
    } catch (e) {
      clear(msg, errorBox(e));
    }
  };

  const tot = t.totals;
  clear(out,
    t.capped ? notice('warn', `The trace stopped at its limits (${t.touched_txs} transactions touched): raise max hops or min sats to see further.`) : null,
    t.truncated || t.graph.truncated ? notice('warn', `Only part of the flow is drawn (${t.graph.nodes.length} nodes, ${t.graph.edges.length} flows); the totals and the table below count all of it. "Trace further" from a node draws more.`) : null,
    section('Totals', facts([
      ['traced', `${btc(tot.source_sats)} from ${t.sources.length} starting point(s), ${t.model}, ${t.direction}`],
      ['cashed out', h('b', { class: 'cashout' }, btc(tot.cashout_sats))],
      ['still held', btc(tot.held_sats)],
      ['fees', btc(tot.fee_sats)],
      ['dropped (below min sats)', btc(tot.dropped_sats)],
      ['transactions touched', String(t.touched_txs)],
    ])),
    section('Flow', toolbar, msg, h('div', { class: 'graph-wrap' }, graphBox, detail),
      h('p', { class: 'legend' },
        h('span', { class: 'lg lg-source' }, 'source'), h('span', { class: 'lg lg-tx' }, 'transaction'), h('span', { class: 'lg lg-addr' }, 'address'),
        h('span', { class: 'lg lg-coinjoin' }, 'CoinJoin'), h('span', { class: 'lg lg-peel' }, 'peel chain'), h('span', { class: 'lg lg-cashout' }, 'cash-out deposit'),
        h('span', { class: 'lg lg-listed' }, 'listed'))),
    section('Where it went', resultsBox));
  showResults(resultsBox, t.results, 100);
  if (t.graph.nodes.length) {
    fg = new FlowGraph(graphBox, t.graph, showNode);
  } else {
    clear(graphBox, notice('info', 'No flow to draw.'));
  }
  clear(coll, writable.length ? writable.map((c) => h('option', { value: c.id }, c.title)) : h('option', { value: '' }, '(no writable collection)'));
}

// showResults lists where the coins went, cash-outs first, the largest
// first; long lists show their head until asked for all.
function showResults(box: HTMLElement, results: TraceResult[], limit: number): void {
  if (!results.length) {
    clear(box, notice('info', 'Nothing reached.'));
    return;
  }
  const sorted = [...results].sort((a, b) => Number(b.kind === 'cashout') - Number(a.kind === 'cashout') || b.sats - a.sats);
  clear(box, table(['', 'address', 'service', 'amount', 'hops', 'output'], sorted.slice(0, limit).map((r) => [
    h('span', { class: 'flag flag-' + r.kind }, r.kind),
    link('address/' + enc(r.address), mono(r.address)),
    [r.service ?? '', r.category ? h('small', null, ' ' + r.category) : null],
    btc(r.sats), String(r.hops), link('tx/' + r.txid, short(r.txid, 8), ':' + r.vout)]), 'results'),
  sorted.length > limit ? h('button', { type: 'button', class: 'more', onclick: () => showResults(box, results, sorted.length) }, `Show all ${sorted.length}`) : null);
}

// bundle makes STIX 2.1 indicators of the cash-out addresses of a trace.
export function bundle(cashouts: TraceResult[], marking: string, req: TraceRequest): { type: 'bundle'; id: string; objects: StixObject[] } {
  const now = new Date().toISOString();
  const by = new Map<string, TraceResult[]>();
  for (const c of cashouts) by.set(c.address, [...(by.get(c.address) ?? []), c]);
  const objects: StixObject[] = [...by.entries()].map(([addr, rs]) => {
    const sats = rs.reduce((s, r) => s + r.sats, 0);
    const svc = rs.find((r) => r.service)?.service;
    return {
      type: 'indicator', spec_version: '2.1', id: 'indicator--' + uuid4(), created: now, modified: now,
      name: `Cash-out deposit address of traced stolen funds${svc ? ' at ' + svc : ''}`,
      description: `${btc(sats)} reached this address in ${rs.length} output(s) (${req.model} trace, ${req.direction}, from ${req.from.slice(0, 3).join(', ')}${req.from.length > 3 ? ', …' : ''}).`,
      indicator_types: ['malicious-activity'], pattern: `[cryptocurrency-wallet:address = '${addr.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`,
      pattern_type: 'stix', valid_from: now, labels: ['trace', 'cash-out'], object_marking_refs: [marking],
    };
  });
  return { type: 'bundle', id: 'bundle--' + uuid4(), objects };
}
