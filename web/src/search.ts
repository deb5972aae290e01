// classify decides which page a search goes to.

export type Target =
  | { kind: 'cluster'; value: string }
  | { kind: 'stix'; value: string }
  | { kind: 'tx'; value: string }
  | { kind: 'address'; value: string }
  | { kind: 'name'; value: string }
  | { kind: 'empty'; value: string };

const stixRE = /^[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const txidRE = /^[0-9a-f]{64}$/i;
const base58RE = /^[123mn][1-9A-HJ-NP-Za-km-z]{24,34}$/;
const bech32RE = /^(bc|tb|bcrt)1[02-9ac-hj-np-z]{8,87}$/i;
const ethRE = /^0x[0-9a-f]{40}$/i;

export function looksLikeAddress(s: string): boolean {
  return base58RE.test(s) || bech32RE.test(s) || ethRE.test(s);
}

export function classify(input: string): Target {
  const s = input.trim();
  if (!s) return { kind: 'empty', value: s };
  const m = /^cluster:\s*(\d{1,12})$/i.exec(s);
  if (m) return { kind: 'cluster', value: m[1] };
  if (stixRE.test(s)) return { kind: 'stix', value: s.toLowerCase() };
  if (txidRE.test(s)) return { kind: 'tx', value: s.toLowerCase() };
  if (looksLikeAddress(s)) return { kind: 'address', value: s };
  return { kind: 'name', value: s };
}

export function pathOf(t: Target): string {
  switch (t.kind) {
    case 'cluster': return 'cluster/' + t.value;
    case 'stix': return 'object/' + encodeURIComponent(t.value);
    case 'tx': return 'tx/' + t.value;
    case 'address': return 'address/' + encodeURIComponent(t.value);
    case 'name': return 'screen?names=' + encodeURIComponent(t.value);
    default: return '';
  }
}
