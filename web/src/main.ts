import './style.css';
import { APIError, call, get, setSession, type Session } from './api';
import { clear, h, link } from './dom';
import { classify, pathOf } from './search';
import { errorBox, type Ctx } from './ui';
import { signInPage } from './pages/signin';
import { homePage } from './pages/home';
import { addressPage } from './pages/address';
import { txPage } from './pages/tx';
import { clusterPage } from './pages/cluster';
import { collectionPage, collectionsPage, objectPage, findObjectPage, mySightingsPage } from './pages/intel';
import { screenPage } from './pages/screen';
import { tracePage } from './pages/trace';
import { alertsPage } from './pages/alerts';

type Page = (ctx: Ctx) => Promise<void>;

const routes: [RegExp, string, Page][] = [
  [/^$/, 'home', homePage],
  [/^address\/([^/]+)$/, 'address', addressPage],
  [/^tx\/([0-9a-fA-F]{64})$/, 'tx', txPage],
  [/^cluster\/(\d+)$/, 'cluster', clusterPage],
  [/^object\/([^/]+)$/, 'object', findObjectPage],
  [/^intel$/, 'intel', collectionsPage],
  [/^intel\/sightings$/, 'sightings', mySightingsPage],
  [/^intel\/([^/]+)$/, 'collection', collectionPage],
  [/^intel\/([^/]+)\/([^/]+)$/, 'stix-object', objectPage],
  [/^screen$/, 'screen', screenPage],
  [/^trace$/, 'trace', tracePage],
  [/^alerts$/, 'alerts', alertsPage],
];

const root = document.getElementById('app')!;
let session: Session | null = null;
let seq = 0;

function go(path: string): void {
  history.pushState(null, '', '/ui/' + path.replace(/^\//, ''));
  render();
}

function header(s: Session): HTMLElement {
  const q = h('input', { type: 'search', name: 'q', id: 'search', placeholder: 'address, txid, cluster:N, STIX id or name', 'aria-label': 'search', autocomplete: 'off' });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (ev: Event) => {
    ev.preventDefault();
    const p = pathOf(classify(q.value));
    if (p) go(p);
  } }, q, h('button', { type: 'submit' }, 'Search'));
  return h('header', { class: 'top' },
    link('', h('span', { class: 'brand' }, 'trawl')),
    form,
    h('nav', null, link('screen', 'Screening'), link('intel', 'Intelligence'), link('intel/sightings', 'Sightings'), link('trace', 'Trace'), link('alerts', 'Alerts')),
    h('div', { class: 'who', id: 'whoami', title: s.org.title + ' — key ' + s.principal.key_id },
      h('span', { class: 'org' }, s.org.title || s.org.name),
      h('span', { class: 'role' }, s.principal.role + (s.principal.operator ? ' · operator' : '')),
      h('button', { type: 'button', id: 'signout', class: 'link', onclick: signOut }, 'Sign out')));
}

async function signOut(): Promise<void> {
  try {
    await call('DELETE', '/api/v1/session');
  } finally {
    session = null;
    setSession(null);
    go('');
  }
}

async function loadSession(): Promise<Session | null> {
  try {
    return await get<Session>('/api/v1/session');
  } catch (e) {
    if (e instanceof APIError && e.status === 401) return null;
    throw e;
  }
}

async function render(): Promise<void> {
  const mine = ++seq;
  const path = location.pathname.replace(/^\/ui\/?/, '');
  if (!session) {
    try {
      session = await loadSession();
    } catch (e) {
      clear(root, h('main', null, errorBox(e)));
      return;
    }
    setSession(session);
  }
  if (mine !== seq) return;
  if (!session) {
    const main = h('main', { class: 'signin' });
    clear(root, main);
    await signInPage(main, (s) => {
      session = s;
      setSession(s);
      render();
    });
    return;
  }
  const main = h('main', { id: 'main' });
  clear(root, header(session), main);
  let page: Page | null = null;
  let name = 'not-found';
  let params: string[] = [];
  for (const [re, n, p] of routes) {
    const m = re.exec(path);
    if (m) {
      page = p;
      name = n;
      params = m.slice(1).map(decodeURIComponent);
      break;
    }
  }
  main.dataset.page = name;
  const started = performance.now();
  try {
    if (!page) {
      document.title = 'Not found — trawl';
      clear(main, h('h1', null, 'No such page'), h('p', null, 'Use the search box, or go ', link('', 'home'), '.'));
    } else {
      await page({ main, params, query: new URLSearchParams(location.search), session, go });
    }
  } catch (e) {
    if (mine !== seq) return;
    if (e instanceof APIError && e.status === 401) {
      session = null; // the session ended (expired, or its key was revoked)
      render();
      return;
    }
    main.appendChild(errorBox(e));
    main.dataset.error = '1';
  }
  if (mine === seq) {
    main.dataset.ms = String(Math.round(performance.now() - started));
    main.dataset.ready = name;
  }
}

document.addEventListener('click', (ev) => {
  const a = (ev.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  go(a.pathname.replace(/^\/ui\/?/, '') + a.search);
});
window.addEventListener('popstate', () => render());
// A blocked resource is a bug of the app's Content-Security-Policy use; the
// browser tests look for this mark.
document.addEventListener('securitypolicyviolation', (e) => {
  document.documentElement.dataset.cspViolation = `${e.violatedDirective} ${e.blockedURI}`;
});
render();
