import { enc, get } from '../api';
import { clear, btc, h, link, mono, short, table } from '../dom';
import { facts, section, type Ctx } from '../ui';

interface Tx {
  txnum: number;
  txid: string;
  height: number;
  coinbase: boolean;
  version: number;
  locktime: number;
  fee: number;
  inputs: { vin: number; spent_txid: string; spent_vout: number; value: number; type?: string; address?: string }[];
  outputs: { vout: number; value: number; type: string; address?: string; spent_by?: { txid: string; vin: number } }[];
}

function addr(a?: string): HTMLElement | string {
  return a ? link('address/' + enc(a), short(a, 14)) : '(no address)';
}

export async function txPage(ctx: Ctx): Promise<void> {
  const id = ctx.params[0].toLowerCase();
  document.title = 'tx ' + id.slice(0, 12) + ' — trawl';
  const tx = await get<Tx>('/api/v1/btc/tx/' + id);
  const sum = (xs: { value: number }[]) => xs.reduce((s, x) => s + x.value, 0);
  clear(ctx.main, 
    h('div', { class: 'title' }, h('h1', null, 'Transaction'), mono(tx.txid),
      link('trace?from=' + tx.txid, h('span', { class: 'button' }, 'Trace from here'))),
    section('Summary', facts([
      ['block', String(tx.height)],
      ['inputs', tx.coinbase ? 'coinbase' : `${tx.inputs.length}, ${btc(sum(tx.inputs))}`],
      ['outputs', `${tx.outputs.length}, ${btc(sum(tx.outputs))}`],
      ['fee', btc(tx.fee)],
      ['version / locktime', `${tx.version} / ${tx.locktime}`],
    ])),
    section('Inputs', tx.coinbase ? h('p', null, 'Coinbase: new coins and fees of the block.')
      : table(['#', 'spends', 'value', 'address'], tx.inputs.map((i) => [
        String(i.vin), link('tx/' + i.spent_txid, short(i.spent_txid, 10), ':' + i.spent_vout), btc(i.value), addr(i.address)]), 'inputs')),
    section('Outputs', table(['#', 'value', 'type', 'address', 'spent by'], tx.outputs.map((o) => [
      String(o.vout), btc(o.value), o.type, addr(o.address),
      o.spent_by ? link('tx/' + o.spent_by.txid, short(o.spent_by.txid, 10), ':' + o.spent_by.vin) : 'unspent']), 'outputs')));
}
