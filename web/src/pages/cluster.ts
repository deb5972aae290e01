import { APIError, enc, get } from '../api';
import { clear, h, link, short, table } from '../dom';
import { facts, notice, section, type Ctx } from '../ui';
import { riskBox, type Risk } from './address';

// A tag as the cluster endpoint gives it (either spelling of its fields).
type Tag = Record<string, string | number | boolean | undefined>;

interface Cluster {
  cluster: number;
  size: number;
  addresses: string[];
  tags?: Tag[];
  actor?: { name: string; category: string; service: boolean };
  conflicts?: unknown[];
  risk?: Risk;
}

function field(t: Tag, ...names: string[]): string {
  for (const n of names) {
    const v = t[n] ?? t[n[0].toUpperCase() + n.slice(1)];
    if (v !== undefined && v !== '') return String(v);
  }
  return '';
}

export async function clusterPage(ctx: Ctx): Promise<void> {
  const n = ctx.params[0];
  document.title = 'cluster ' + n + ' — trawl';
  let c: Cluster;
  try {
    c = await get<Cluster>('/api/v1/btc/cluster/' + enc(n));
  } catch (e) {
    if (e instanceof APIError && e.missingRoute) {
      clear(ctx.main, h('h1', null, 'Cluster ' + n),
        notice('warn', 'This hub does not serve address clusters yet (GET /api/v1/btc/cluster answered 404). Address and transaction pages work without them.'));
      return;
    }
    throw e;
  }
  clear(ctx.main, 
    h('div', { class: 'title' }, h('h1', null, 'Cluster ' + c.cluster), link('trace?from=cluster:' + c.cluster, h('span', { class: 'button' }, 'Trace from here'))),
    c.risk ? section('Risk', riskBox(c.risk)) : null,
    section('Summary', facts([
      ['addresses', String(c.size)],
      ['attributed to', c.actor ? `${c.actor.name} (${c.actor.category}${c.actor.service ? ', a service' : ''})` : '—'],
      ['tags', String(c.tags?.length ?? 0)],
      ['conflicting tags', String(c.conflicts?.length ?? 0)],
    ])),
    section('Tags', c.tags?.length ? table(['label', 'category', 'address', 'source', 'confidence'], c.tags.map((t) => [
      field(t, 'label', 'name', 'actor'), field(t, 'category'), field(t, 'address') ? link('address/' + enc(field(t, 'address')), short(field(t, 'address'), 10)) : '',
      field(t, 'source'), field(t, 'confidence')]), 'tags') : h('p', null, 'No tags.')),
    c.conflicts?.length ? section('Conflicts', h('ul', null, c.conflicts.map((x) => h('li', null, typeof x === 'string' ? x : JSON.stringify(x))))) : null,
    section(c.size > c.addresses.length ? `Addresses (first ${c.addresses.length} of ${c.size})` : 'Addresses',
      h('ul', { class: 'addrs' }, c.addresses.map((a) => h('li', null, link('address/' + enc(a), short(a, 16)))))));
}
