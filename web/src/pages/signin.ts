import { post, setSession, type Session } from '../api';
import { clear, h } from '../dom';
import { errorBox } from '../ui';

// signInPage asks for an API key and exchanges it for a session cookie; the
// key itself is not kept by the browser.
export async function signInPage(main: HTMLElement, done: (s: Session) => void): Promise<void> {
  document.title = 'Sign in — trawl';
  const key = h('input', { type: 'password', name: 'key', id: 'key', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'trawl_key_…' });
  const msg = h('div', { class: 'msg' });
  const form = h('form', { class: 'card', id: 'signin', method: 'post', onsubmit: async (ev: Event) => {
    ev.preventDefault();
    clear(msg);
    try {
      const s = await post<Session>('/api/v1/session', { key: key.value });
      key.value = '';
      setSession(s);
      done(s);
    } catch (e) {
      clear(msg, errorBox(e));
    }
  } },
  h('h1', null, 'trawl'),
  h('p', null, 'Intelligence on state-sponsored crypto theft, shared between partners. Sign in with the API key your organization gave you.'),
  h('label', { for: 'key' }, 'API key'), key,
  h('button', { type: 'submit' }, 'Sign in'),
  msg,
  h('p', { class: 'hint' }, 'The key is sent once; the browser then keeps a session cookie that ends when you sign out, after 8 hours, or when the key is revoked.'));
  clear(main, form);
  main.dataset.ready = 'signin';
  key.focus();
}
