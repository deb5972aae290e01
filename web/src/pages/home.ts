import { clear, h, link } from '../dom';
import { classify, pathOf } from '../search';
import type { Ctx } from '../ui';

export async function homePage(ctx: Ctx): Promise<void> {
  document.title = 'trawl';
  const q = h('input', { type: 'search', name: 'q', id: 'bigsearch', placeholder: 'bc1q…, a txid, cluster:42, indicator--…, or a name', autofocus: true, 'aria-label': 'search' });
  const form = h('form', { class: 'bigsearch', onsubmit: (ev: Event) => {
    ev.preventDefault();
    const p = pathOf(classify(q.value));
    if (p) ctx.go(p);
  } }, q, h('button', { type: 'submit' }, 'Search'));
  clear(ctx.main, 
    h('h1', null, 'Search'),
    form,
    h('ul', { class: 'hints' },
      h('li', null, 'An ', h('b', null, 'address'), ' shows its balance, history, watchlist hits and risk.'),
      h('li', null, 'A ', h('b', null, 'transaction id'), ' (64 hex digits) shows its inputs and outputs.'),
      h('li', null, h('code', null, 'cluster:N'), ' shows a cluster of addresses with its tags.'),
      h('li', null, 'A ', h('b', null, 'STIX id'), ' (indicator--…) opens the object wherever you may read it.'),
      h('li', null, 'Anything else is ', h('b', null, 'screened as a name'), ' against the sanctions lists.')),
    h('div', { class: 'tiles' },
      link('screen', h('b', null, 'Screening'), h('span', null, 'Paste addresses or names, see who lists them.')),
      link('intel', h('b', null, 'Intelligence'), h('span', null, 'Collections shared with ' + ctx.session.org.name + ', with their TLP.')),
      link('intel/sightings', h('b', null, 'Sightings'), h('span', null, 'What partners saw of your indicators.')),
      link('trace', h('b', null, 'Trace'), h('span', null, 'Follow stolen coins to where they are cashed out.'))));
}
