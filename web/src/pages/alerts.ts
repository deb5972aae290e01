import { APIError, get, post, enc } from '../api';
import { clear, h, link, short, table } from '../dom';
import { badge } from '../tlp';
import { errorBox, notice, section, type Ctx } from '../ui';

// Alert is an alert as GET /api/v1/alerts returns it.
interface Alert {
  id: string;
  kind: string;
  to_org: string;
  to_org_name: string;
  from_org_name: string;
  raised_by: string;
  subjects: { chain: string; address: string; sats?: number; service?: string }[];
  sources: string[];
  marking: string;
  note?: string;
  created_at: string;
  status: string;
  acknowledged_by?: string;
  acknowledged_at?: string;
}

interface AlertList {
  alerts: Alert[];
  more: boolean;
  next?: string;
}

function btc(sats?: number): string {
  return sats ? (sats / 1e8).toFixed(8) + ' BTC' : '';
}

function subjects(a: Alert): HTMLElement {
  const shown = a.subjects.slice(0, 3);
  return h('div', null,
    shown.map((s) => h('div', null, s.chain === 'btc' ? link('address/' + enc(s.address), short(s.address)) : short(s.address), s.sats ? ' ' + btc(s.sats) : '')),
    a.subjects.length > shown.length ? h('div', { class: 'muted' }, `and ${a.subjects.length - shown.length} more`) : null);
}

// alertsPage lists the organization's alerts: received ones first (with an
// acknowledge button), then those it raised.
export async function alertsPage(ctx: Ctx): Promise<void> {
  document.title = 'Alerts — trawl';
  const status = ctx.query.get('status') ?? 'new';
  const q = status === 'all' ? '' : '&status=' + enc(status);
  let inbox: AlertList;
  let sent: AlertList;
  try {
    [inbox, sent] = await Promise.all([
      get<AlertList>('/api/v1/alerts?box=inbox&limit=100' + q),
      get<AlertList>('/api/v1/alerts?box=sent&limit=100'),
    ]);
  } catch (e) {
    if (e instanceof APIError && e.missingRoute) {
      clear(ctx.main, h('h1', null, 'Alerts'), notice('info', 'Alerts are not available on this hub.'));
      return;
    }
    throw e;
  }
  const canAct = ctx.session.principal.role !== 'reader';
  const filter = h('nav', { class: 'tabs', id: 'alert-filter' },
    ['new', 'acknowledged', 'closed', 'all'].map((s) => s === status ? h('b', null, s) : link('alerts?status=' + s, s)));
  const row = (a: Alert, inboxRow: boolean) => {
    const msg = h('span', { class: 'msg' });
    const ack = inboxRow && canAct && a.status === 'new'
      ? h('button', { type: 'button', class: 'ack', 'data-id': a.id, onclick: async () => {
        try {
          const got = await post<Alert>(`/api/v1/alerts/${enc(a.id)}/ack`, undefined);
          clear(msg, got.status);
          ack?.remove();
        } catch (e) {
          clear(msg, errorBox(e));
        }
      } }, 'Acknowledge')
      : null;
    return [
      h('time', { datetime: a.created_at }, a.created_at.slice(0, 19).replace('T', ' ')),
      inboxRow ? a.from_org_name : a.to_org_name,
      a.kind,
      badge(a.marking),
      subjects(a),
      h('div', null, a.sources.map((s) => h('div', null, link('object/' + enc(s), short(s, 14))))),
      a.note ?? '',
      h('span', { class: 'status', 'data-alert': a.id }, a.status, a.acknowledged_by ? h('span', { class: 'muted' }, ' by ' + a.acknowledged_by) : null, ' ', msg, ack),
    ];
  };
  clear(ctx.main,
    h('h1', null, 'Alerts'),
    h('p', null, 'Alerts to ', h('b', null, ctx.session.org.title || ctx.session.org.name),
      ': deposits of traced stolen funds and intelligence naming addresses it holds. An alert stays visible only while your organization may read every source it derives from.'),
    section('Received', filter,
      inbox.alerts.length
        ? table(['Raised', 'From', 'Kind', 'TLP', 'Addresses', 'Sources', 'Note', 'Status'], inbox.alerts.map((a) => row(a, true)), 'alerts-inbox')
        : notice('info', status === 'all' ? 'No alerts to your organization.' : `No ${status} alerts to your organization.`),
      inbox.more ? notice('info', 'Only the newest 100 are shown.') : null),
    section('Raised by your organization',
      sent.alerts.length
        ? table(['Raised', 'To', 'Kind', 'TLP', 'Addresses', 'Sources', 'Note', 'Status'], sent.alerts.map((a) => row(a, false)), 'alerts-sent')
        : notice('info', 'Your organization has raised no alerts.')));
}
