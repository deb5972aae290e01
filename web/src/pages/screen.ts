import { enc, post } from '../api';
import { clear, h, link, mono, table, type Child } from '../dom';
import { looksLikeAddress } from '../search';
import { errorBox, notice, section, type Ctx } from '../ui';
import { hitsTable, type ScreenResult } from './address';

interface NameHit {
  source: string;
  uid: string;
  name: string;
  type?: string;
  score: number;
  matched: string;
  alias?: boolean;
}

interface Answer {
  results?: ScreenResult[];
  names?: { name: string; hits: NameHit[] | null }[];
}

// split sorts pasted lines (or comma-separated values) into addresses and
// names.
export function split(text: string): { addresses: string[]; names: string[] } {
  const addresses: string[] = [];
  const names: string[] = [];
  for (const raw of text.split(/\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const parts = line.split(/[\s,;]+/).filter(Boolean);
    if (parts.length > 0 && parts.every(looksLikeAddress)) addresses.push(...parts);
    else names.push(line);
  }
  return { addresses: [...new Set(addresses)], names: [...new Set(names)] };
}

export async function screenPage(ctx: Ctx): Promise<void> {
  document.title = 'Screening — trawl';
  const pre = [ctx.query.get('addresses') ?? '', ctx.query.get('names') ?? ''].filter(Boolean).join('\n');
  const text = h('textarea', { name: 'q', id: 'screen-input', rows: 8, placeholder: 'One address or name per line, e.g.\nbc1q…\n0x098B716B8Aaf21512996dC57EB0615e2383E2f96\nKim Jong Un', value: pre });
  const threshold = h('input', { type: 'number', name: 'threshold', min: 0, max: 1, step: 0.05, value: 0.85 });
  const out = h('div', { id: 'screen-results' });
  const run = async () => {
    const { addresses, names } = split(text.value);
    if (!addresses.length && !names.length) {
      clear(out, notice('warn', 'Paste at least one address or name.'));
      return;
    }
    if (addresses.length > 10000 || names.length > 1000) {
      clear(out, notice('warn', 'At most 10,000 addresses and 1,000 names per screening.'));
      return;
    }
    const t = Number(threshold.value);
    clear(out, h('p', { class: 'busy' }, 'Screening…'));
    try {
      const a = await post<Answer>('/api/v1/screen', { addresses, names, threshold: t >= 0 && t <= 1 ? t : 0 });
      render(out, a);
    } catch (e) {
      clear(out, errorBox(e));
    }
  };
  const form = h('form', { class: 'card', onsubmit: (ev: Event) => { ev.preventDefault(); run(); } },
    h('label', { for: 'screen-input' }, 'Addresses and names'), text,
    h('div', { class: 'row' }, h('label', null, 'Name match threshold ', threshold), h('button', { type: 'submit' }, 'Screen')));
  clear(ctx.main, h('h1', null, 'Screening'),
    h('p', null, 'Addresses are checked against the sanctions lists, law-enforcement attributions and the intelligence shared with you; names against the lists\' entries and aliases.'),
    form, out);
  if (pre) await run();
}

function render(out: HTMLElement, a: Answer): void {
  const results = a.results ?? [];
  const listed = results.filter((r) => r.listed).length;
  const risky = results.some((r) => r.exposure);
  const head = ['address', 'valid', 'result', ''];
  if (risky) head.splice(3, 0, 'risk');
  clear(out,
    results.length ? section(`Addresses: ${listed} of ${results.length} listed`,
      table(head, results.map((r) => {
        const row: Child[] = [
          link('address/' + enc(r.address), mono(r.address)),
          r.valid ? (r.chains ?? []).join(', ') || 'yes' : h('span', { title: r.error ?? '' }, 'no'),
          r.listed ? h('span', { class: 'flag flag-listed' }, `LISTED (${r.hits.length})`) : h('span', { class: 'flag flag-clean' }, 'no hit'),
          r.hits.length ? h('details', null, h('summary', null, 'hits'), hitsTable(r.hits)) : '',
        ];
        if (risky) row.splice(3, 0, r.exposure?.risk ? `${r.exposure.risk.score}${r.exposure.risk.level ? ' ' + r.exposure.risk.level : ''}` : '');
        return row;
      }), 'screen-addresses')) : null,
    (a.names ?? []).map((n) => section(`Name: ${n.name}`, n.hits?.length
      ? table(['score', 'listed name', 'matched', 'type', 'source'], n.hits.map((x) => [
        x.score.toFixed(2), x.name, x.matched + (x.alias ? ' (alias)' : ''), x.type ?? '', x.source + ' ' + x.uid]), 'screen-names')
      : notice('ok', 'No listed name matches.'))));
}
