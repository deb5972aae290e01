import { APIError, enc, get, post } from '../api';
import { clear, btc, h, link, mono, short, table } from '../dom';
import { badge } from '../tlp';
import { errorBox, facts, notice, section, settle, type Ctx } from '../ui';

export interface Hit {
  source: string;
  uid?: string;
  name: string;
  type?: string;
  programs?: string[];
  currency?: string;
  value: string;
  tlp: string;
  collection?: string;
  object_id?: string;
  listed?: string;
  url?: string;
}

export interface ScreenResult {
  address: string;
  valid: boolean;
  chains?: string[];
  error?: string;
  listed: boolean;
  hits: Hit[];
  exposure?: Exposure; // where the hub analyses the chain
}

interface TagView {
  address: string;
  label: string;
  actor?: string;
  category: string;
  abuse?: string;
  source: string;
  confidence: number;
  pack?: string;
}

interface Tags {
  tags: TagView[];
  actors?: string[];
  conflicts?: { kind: string; detail?: string; message?: string }[];
}

function tagsBox(t: Tags): HTMLElement {
  return h('div', null,
    t.conflicts?.length ? notice('warn', 'The sources disagree: ', t.conflicts.map((c) => c.detail ?? c.message ?? c.kind).join('; ')) : null,
    table(['label', 'actor', 'category', 'source', 'confidence'], t.tags.map((x) => [
      x.label, x.actor ?? '', x.abuse ? `${x.category}, ${x.abuse}` : x.category,
      /^https?:\/\//.test(x.source) ? h('a', { href: x.source, rel: 'noreferrer noopener', target: '_blank' }, x.pack ?? 'source') : x.source,
      String(x.confidence)]), 'tags'));
}

export interface Reason {
  score?: number;
  code?: string;
  text: string;
}

export interface Risk {
  score: number;
  level?: string;
  reasons?: (string | Reason)[];
}

export interface Exposure {
  address: string;
  cluster?: number;
  received_sats: number;
  outputs: number;
  max_hops: number;
  sources: { category: string; sats: number; share: number; top?: { address: string; sats: number }[] }[];
  coinjoin_share: number;
  service?: { name: string; category: string; service: boolean };
  risk?: Risk;
  capped: boolean;
  txs_examined: number;
}

interface AddressInfo {
  addr_id: number;
  address: string;
  balance: number;
  received: number;
  first_seen: number;
  last_seen: number;
  tx_count: number;
  history: { txnum: number; txid: string; height: number; received: boolean; spent: boolean }[];
  next?: number;
  cluster?: number;
  risk?: Risk;
}

export function hitsTable(hits: Hit[]): HTMLElement {
  return table(['source', 'listed as', 'value', 'TLP', 'where'], hits.map((x) => [
    h('span', { class: 'source' }, x.source),
    [x.name, x.programs?.length ? h('small', null, ' ' + x.programs.join(', ')) : null],
    mono(x.value),
    badge(x.tlp),
    x.object_id ? link(`intel/${x.collection}/${x.object_id}`, short(x.object_id, 12))
      : x.url ? h('a', { href: x.url, rel: 'noreferrer noopener', target: '_blank' }, x.listed ? 'listed ' + x.listed : 'source')
        : (x.listed ?? ''),
  ]), 'hits');
}

export function riskBox(r: Risk): HTMLElement {
  const level = r.score >= 70 ? 'high' : r.score >= 30 ? 'medium' : 'low';
  return h('div', { class: 'risk risk-' + level },
    h('div', { class: 'score' }, String(r.score), h('small', null, '/100'), r.level ? h('div', { class: 'level' }, r.level) : null),
    r.reasons?.length ? h('ul', null, r.reasons.map((x) => h('li', null, typeof x === 'string' ? x
      : [x.text, x.score !== undefined ? h('small', null, ` (+${x.score})`) : null]))) : h('p', null, 'No finding raises the risk.'));
}

const pct = (f: number) => (f * 100).toFixed(f < 0.01 && f > 0 ? 2 : 1) + ' %';

function exposureBox(x: Exposure): HTMLElement {
  return h('div', null,
    facts([
      ['received', `${btc(x.received_sats)} in ${x.outputs} output(s)`],
      ['through CoinJoins', pct(x.coinjoin_share)],
      ['service', x.service ? `${x.service.name} (${x.service.category})` : '—'],
      ['looked back', `${x.max_hops} hops, ${x.txs_examined} transactions${x.capped ? ' (stopped at the limit)' : ''}`],
    ]),
    x.sources.length ? table(['source category', 'amount', 'share', 'largest sources'], x.sources.map((c) => [
      c.category, btc(c.sats), pct(c.share),
      (c.top ?? []).slice(0, 3).map((t) => h('div', null, link('address/' + enc(t.address), short(t.address, 10)), ' ', btc(t.sats))),
    ]), 'exposure') : notice('ok', 'None of the funds comes from a listed source.'));
}

export async function addressPage(ctx: Ctx): Promise<void> {
  const a = ctx.params[0];
  document.title = a + ' — trawl';
  const from = ctx.query.get('from');
  const [info, screened, tagged] = await Promise.all([
    settle(get<AddressInfo>(`/api/v1/btc/address/${enc(a)}?limit=50${from ? '&from=' + enc(from) : ''}`)),
    settle(post<{ results: ScreenResult[] }>('/api/v1/screen', { addresses: [a] })),
    settle(get<Tags>('/api/v1/tags?address=' + enc(a))),
  ]);
  const res = screened.ok ? screened.value.results[0] : null;
  // Screening carries the exposure where the hub analyses the chain.
  const exposure = res?.exposure;
  const head = h('div', { class: 'title' },
    h('h1', null, 'Address'), mono(a),
    res?.listed ? h('span', { class: 'flag flag-listed' }, 'LISTED') : null,
    res && !res.valid ? h('span', { class: 'flag' }, 'not a valid address') : null,
    link('trace?from=' + enc(a), h('span', { class: 'button' }, 'Trace from here')));
  const blocks: HTMLElement[] = [head];
  const risk = info.ok && info.value.risk ? info.value.risk : exposure?.risk;
  if (risk) blocks.push(section('Risk', riskBox(risk)));
  if (info.ok) {
    const x = info.value;
    blocks.push(section('On chain', facts([
      ['balance', h('b', { id: 'balance' }, btc(x.balance))],
      ['received', btc(x.received)],
      ['transactions', String(x.tx_count)],
      ['seen', `blocks ${x.first_seen} to ${x.last_seen}`],
      ['cluster', x.cluster !== undefined && x.cluster !== null ? link('cluster/' + x.cluster, 'cluster:' + x.cluster) : '—'],
    ])));
  } else {
    blocks.push(section('On chain', errorBox(info.error)));
  }
  if (screened.ok) {
    blocks.push(section('Watchlist hits', res && res.hits.length ? hitsTable(res.hits)
      : notice('ok', 'No watchlist or shared-intelligence listing that you may see.')));
  } else {
    blocks.push(section('Watchlist hits', errorBox(screened.error)));
  }
  if (exposure) blocks.push(section('Exposure', exposureBox(exposure)));
  if (tagged.ok && tagged.value.tags.length) {
    blocks.push(section('Attribution tags', tagsBox(tagged.value)));
  } else if (!tagged.ok && !(tagged.error instanceof APIError && (tagged.error.missingRoute || tagged.error.status === 400))) {
    blocks.push(section('Attribution tags', errorBox(tagged.error)));
  }
  if (info.ok) {
    const x = info.value;
    blocks.push(section('History', table(['block', 'transaction', 'direction'], x.history.map((e) => [
      String(e.height), link('tx/' + e.txid, short(e.txid, 16)),
      e.received && e.spent ? 'received and spent' : e.received ? 'received' : 'spent',
    ]), 'history'),
    x.next ? link(`address/${enc(a)}?from=${x.next}`, 'more →') : null));
  }
  clear(ctx.main, ...blocks);
}
