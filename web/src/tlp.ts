import { h } from './dom';

// The TLP marking definitions (TLP 2.0 and the older TLP 1.0 ones).
export const TLP2: Record<string, string> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

const byRef: Record<string, string> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear', // TLP 1.0 WHITE
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
};
for (const [level, ref] of Object.entries(TLP2)) byRef[ref] = level;

// levelOf returns the TLP level an object's markings name, or '' when it has
// none (the collection's default applies then).
export function levelOf(obj: { object_marking_refs?: string[] }): string {
  for (const ref of obj.object_marking_refs ?? []) {
    if (byRef[ref]) return byRef[ref];
  }
  return '';
}

export function badge(level: string): HTMLElement {
  const l = level.toLowerCase().replace(/^tlp:/, '');
  if (!l) return h('span', { class: 'tlp tlp-default', title: 'no marking: the collection default applies' }, 'TLP: default');
  return h('span', { class: 'tlp tlp-' + l.replace('+', '-') }, 'TLP:' + l.toUpperCase());
}

export function select(name: string, value = 'amber'): HTMLSelectElement {
  return h('select', { name }, Object.keys(TLP2).map((l) =>
    h('option', { value: l, selected: l === value }, 'TLP:' + l.toUpperCase())));
}
