import { APIError, enc, get, taxiiGet, taxiiPost } from '../api';
import { clear, h, link, mono, short, table, uuid4 } from '../dom';
import { badge, levelOf, select as tlpSelect, TLP2 } from '../tlp';
import { errorBox, facts, notice, section, type Ctx } from '../ui';

export interface CollectionView {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  can_read: boolean;
  can_write: boolean;
}

export interface StixObject {
  type: string;
  id: string;
  name?: string;
  pattern?: string;
  description?: string;
  created?: string;
  modified?: string;
  labels?: string[];
  object_marking_refs?: string[];
  sighting_of_ref?: string;
  count?: number;
  first_seen?: string;
  last_seen?: string;
  [k: string]: unknown;
}

interface Envelope {
  more?: boolean;
  next?: string;
  objects?: StixObject[];
}

export interface TaxiiStatus {
  id: string;
  status: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  failures?: { id: string; message?: string }[];
}

export async function collections(): Promise<CollectionView[]> {
  const r = await taxiiGet<{ collections?: CollectionView[] }>('collections/');
  return r.collections ?? [];
}

// summary is the one line that says what an object is.
function summary(o: StixObject): string {
  if (o.type === 'sighting') return `sighting of ${o.sighting_of_ref ?? '?'}${o.count ? ` (${o.count}×)` : ''}`;
  return o.name ?? o.pattern ?? o.description?.slice(0, 120) ?? '';
}

export async function collectionsPage(ctx: Ctx): Promise<void> {
  document.title = 'Intelligence — trawl';
  const cs = await collections();
  clear(ctx.main,
    h('h1', null, 'Intelligence'),
    h('p', null, 'The TAXII 2.1 collections that ', h('b', null, ctx.session.org.title), ' may read or write. Every object shows its TLP; you see only what the sharing rules let your organization see.'),
    cs.length ? table(['collection', 'alias', 'access', 'description'], cs.map((c) => [
      c.can_read ? link('intel/' + c.id, c.title) : c.title,
      c.alias ?? '',
      [c.can_read ? h('span', { class: 'pill' }, 'read') : null, c.can_write ? h('span', { class: 'pill' }, 'write') : null],
      c.description ?? '',
    ]), 'collections') : notice('info', 'No collection is shared with your organization yet.'),
    h('p', null, link('intel/sightings', 'Sightings of your indicators →')));
}

export async function collectionPage(ctx: Ctx): Promise<void> {
  const id = ctx.params[0];
  const type = ctx.query.get('type') ?? '';
  const next = ctx.query.get('next') ?? '';
  const c = await taxiiGet<CollectionView>(`collections/${enc(id)}/`);
  document.title = c.title + ' — trawl';
  const qs = new URLSearchParams({ limit: '50' });
  if (type) qs.set('match[type]', type);
  if (next) qs.set('next', next);
  const env = await taxiiGet<Envelope>(`collections/${enc(id)}/objects/?${qs}`);
  const objs = env.objects ?? [];
  const types = ['', 'indicator', 'sighting', 'threat-actor', 'campaign', 'malware', 'identity', 'relationship', 'report', 'note'];
  const sel = h('select', { name: 'type', onchange: () => ctx.go(`intel/${id}${sel.value ? '?type=' + enc(sel.value) : ''}`) },
    types.map((t) => h('option', { value: t, selected: t === type }, t || 'all types')));
  clear(ctx.main,
    h('div', { class: 'title' }, h('h1', null, c.title), c.alias ? h('span', { class: 'pill' }, c.alias) : null),
    c.description ? h('p', null, c.description) : null,
    h('div', { class: 'toolbar' }, h('label', null, 'Show ', sel)),
    objs.length ? table(['TLP', 'type', 'what', 'modified', 'id'], objs.map((o) => [
      badge(levelOf(o)), o.type, summary(o), (o.modified ?? o.created ?? '').slice(0, 10),
      link(`intel/${id}/${o.id}`, short(o.id, 14)),
    ]), 'objects') : notice('info', 'No objects here that you may see.'),
    env.more && env.next ? link(`intel/${id}?${new URLSearchParams({ ...(type ? { type } : {}), next: env.next })}`, 'next page →') : null);
}

// findObjectPage opens a STIX object by id in the first collection that
// holds it and that the user may read.
export async function findObjectPage(ctx: Ctx): Promise<void> {
  const id = ctx.params[0];
  document.title = id + ' — trawl';
  for (const c of await collections()) {
    if (!c.can_read) continue;
    try {
      await taxiiGet<Envelope>(`collections/${enc(c.id)}/objects/${enc(id)}/`);
      ctx.go(`intel/${c.id}/${id}`);
      return;
    } catch (e) {
      if (!(e instanceof APIError) || e.status !== 404) throw e;
    }
  }
  clear(ctx.main, h('h1', null, 'STIX object'), mono(id),
    notice('warn', 'No collection you may read holds this object (or its marking keeps it from your organization).'));
}

export async function objectPage(ctx: Ctx): Promise<void> {
  const [cid, oid] = ctx.params;
  document.title = oid + ' — trawl';
  const [env, cs] = await Promise.all([taxiiGet<Envelope>(`collections/${enc(cid)}/objects/${enc(oid)}/`), collections()]);
  const o = env.objects?.[0];
  if (!o) throw new APIError(404, 'not_found', 'no such object');
  const coll = cs.find((c) => c.id === cid);
  const sightings = h('div', { id: 'sightings' });
  const rows: [string, HTMLElement | string][] = [
    ['type', o.type],
    ['collection', coll ? link('intel/' + cid, coll.title) : cid],
    ['TLP', badge(levelOf(o))],
  ];
  if (o.name) rows.push(['name', o.name]);
  if (o.pattern) rows.push(['pattern', mono(o.pattern)]);
  if (o.description) rows.push(['description', o.description]);
  if (o.labels?.length) rows.push(['labels', o.labels.join(', ')]);
  if (o.sighting_of_ref) rows.push(['sighting of', link('object/' + o.sighting_of_ref, short(o.sighting_of_ref, 14))]);
  rows.push(['modified', o.modified ?? '']);
  clear(ctx.main,
    h('div', { class: 'title' }, h('h1', null, o.name ?? o.type), mono(o.id)),
    section('Object', facts(rows)),
    o.type !== 'sighting' ? section('Sightings', sightings) : null,
    o.type !== 'sighting' ? section('Report a sighting', sightingForm(o, cid, cs.filter((c) => c.can_write), () => loadSightings(o.id, sightings))) : null,
    h('details', null, h('summary', null, 'STIX JSON'), h('pre', { class: 'json' }, JSON.stringify(o, null, 2))));
  if (o.type !== 'sighting') await loadSightings(o.id, sightings);
}

interface Summary {
  of: string;
  sightings: number;
  count: number;
  objects: StixObject[];
}

async function loadSightings(of: string, box: HTMLElement): Promise<void> {
  const s = await get<Summary>('/api/v1/sightings?of=' + enc(of));
  clear(box,
    h('p', { class: 'count' }, `${s.sightings} sighting${s.sightings === 1 ? '' : 's'} you may see, ${s.count} time${s.count === 1 ? '' : 's'} in all.`),
    s.objects.length ? sightingsTable(s.objects) : null);
}

export function sightingsTable(objs: StixObject[], withOf = false): HTMLElement {
  const head = ['TLP', 'count', 'first seen', 'last seen', 'description'];
  if (withOf) head.splice(1, 0, 'of');
  return table(head, objs.map((x) => {
    const row: (HTMLElement | string)[] = [badge(levelOf(x)), String(x.count ?? 1), (x.first_seen ?? '').slice(0, 16), (x.last_seen ?? '').slice(0, 16), x.description ?? ''];
    if (withOf) row.splice(1, 0, x.sighting_of_ref ? link('object/' + x.sighting_of_ref, short(x.sighting_of_ref, 12)) : '');
    return row;
  }), 'sightings');
}

function isoOrEmpty(v: string): string {
  return v ? new Date(v).toISOString() : '';
}

// pollStatus follows a TAXII add until the hub has processed it.
export async function pollStatus(st: TaxiiStatus): Promise<TaxiiStatus> {
  for (let i = 0; st.status !== 'complete' && i < 40; i++) {
    await new Promise((r) => setTimeout(r, 150));
    st = await taxiiGet<TaxiiStatus>(`status/${enc(st.id)}/`);
  }
  return st;
}

export function statusNotice(st: TaxiiStatus, what: string): HTMLElement {
  if (st.failure_count > 0) {
    return notice('warn', `${st.failure_count} of ${st.total_count} ${what} refused: `, st.failures?.map((f) => f.message ?? f.id).join('; ') ?? '');
  }
  if (st.status !== 'complete') return notice('info', `${what} submitted; the hub is still processing them (status ${st.id}).`);
  return notice('ok', `${st.success_count} ${what} added.`);
}

function sightingForm(o: StixObject, cid: string, writable: CollectionView[], refresh: () => Promise<void>): HTMLElement {
  if (!writable.length) return notice('info', 'Your organization may not write to any collection, so it cannot report sightings here.');
  const coll = h('select', { name: 'collection' }, writable.map((c) => h('option', { value: c.id, selected: c.id === cid }, c.title)));
  const count = h('input', { type: 'number', name: 'count', min: 1, max: 999999999, value: 1, required: true });
  const first = h('input', { type: 'datetime-local', name: 'first_seen' });
  const last = h('input', { type: 'datetime-local', name: 'last_seen' });
  const desc = h('textarea', { name: 'description', rows: 2, maxlength: 2000, placeholder: 'What was seen, where (e.g. a deposit to our exchange from this address)' });
  const tlp = tlpSelect('tlp', levelOf(o) || 'amber');
  const msg = h('div', { class: 'msg' });
  const form = h('form', { class: 'card', id: 'sighting-form', onsubmit: async (ev: Event) => {
    ev.preventDefault();
    clear(msg);
    const n = Number(count.value);
    if (!Number.isInteger(n) || n < 1) {
      clear(msg, notice('warn', 'count: want a whole number of at least 1'));
      return;
    }
    const fs = isoOrEmpty(first.value);
    const ls = isoOrEmpty(last.value);
    if (fs && ls && ls < fs) {
      clear(msg, notice('warn', 'last seen must not be before first seen'));
      return;
    }
    const now = new Date().toISOString();
    const sg: StixObject = {
      type: 'sighting', spec_version: '2.1', id: 'sighting--' + uuid4(), created: now, modified: now,
      sighting_of_ref: o.id, count: n, object_marking_refs: [TLP2[tlp.value]],
    };
    if (fs) sg.first_seen = fs;
    if (ls) sg.last_seen = ls;
    if (desc.value.trim()) sg.description = desc.value.trim();
    try {
      const st = await pollStatus(await taxiiPost<TaxiiStatus>(`collections/${enc(coll.value)}/objects/`, { objects: [sg] }));
      clear(msg, statusNotice(st, 'sighting(s)'));
      if (st.success_count > 0) {
        desc.value = '';
        await refresh();
      }
    } catch (e) {
      clear(msg, errorBox(e));
    }
  } },
  h('div', { class: 'row' }, h('label', null, 'Collection ', coll), h('label', null, 'Count ', count), h('label', null, 'Marking ', tlp)),
  h('div', { class: 'row' }, h('label', null, 'First seen ', first), h('label', null, 'Last seen ', last)),
  h('label', { class: 'block' }, 'Description', desc),
  h('button', { type: 'submit' }, 'Post sighting'),
  msg);
  return form;
}

interface Mine {
  sightings: { collection: string; of: string; object: StixObject }[];
  capped: boolean;
}

export async function mySightingsPage(ctx: Ctx): Promise<void> {
  document.title = 'Sightings — trawl';
  const m = await get<Mine>('/api/v1/sightings/mine');
  const byOf = new Map<string, StixObject[]>();
  for (const s of m.sightings) byOf.set(s.of, [...(byOf.get(s.of) ?? []), s.object]);
  clear(ctx.main,
    h('h1', null, 'Sightings of your indicators'),
    h('p', null, 'What partner organizations reported seeing of the objects that ', h('b', null, ctx.session.org.title), ' shared.'),
    m.capped ? notice('warn', 'Only the first 1000 sightings are shown.') : null,
    byOf.size ? [...byOf.entries()].map(([of, objs]) => section('', h('p', null, link('object/' + of, mono(of)), ` — ${objs.length} sighting${objs.length === 1 ? '' : 's'}, ${objs.reduce((n, o) => n + (o.count ?? 1), 0)} in all`), sightingsTable(objs)))
      : notice('info', 'No sightings of your organization\'s objects yet.'));
}
