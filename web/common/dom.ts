/** Tiny DOM helpers for the lab pages' controls. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<'id' | 'className' | 'title' | 'textContent', string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) (e as unknown as Record<string, string>)[k] = v;
  e.append(...children);
  return e;
}

export function $(selector: string, root: ParentNode = document): HTMLElement {
  const e = root.querySelector<HTMLElement>(selector);
  if (!e) throw new Error(`missing element ${selector}`);
  return e;
}

/** A labelled <select>; `onChange` gets the chosen value. */
export function selectField<T extends string | number>(
  id: string,
  label: string,
  options: readonly { value: T; text: string }[],
  value: T,
  onChange: (v: T) => void,
): { root: HTMLLabelElement; select: HTMLSelectElement; set(v: T): void } {
  const select = el('select', { id });
  for (const o of options) select.append(el('option', { textContent: o.text }));
  options.forEach((o, i) => ((select.options[i] as HTMLOptionElement).value = String(o.value)));
  const set = (v: T) => {
    const i = options.findIndex((o) => o.value === v);
    if (i >= 0) select.selectedIndex = i;
  };
  set(value);
  select.addEventListener('change', () => onChange(options[select.selectedIndex].value));
  const root = el('label', { className: 'field' }, label, select);
  return { root, select, set };
}

/** A labelled range slider showing its value. */
export function sliderField(
  id: string,
  label: string,
  range: { min: number; max: number; step: number },
  value: number,
  onChange: (v: number) => void,
  format: (v: number) => string = String,
): { root: HTMLLabelElement; input: HTMLInputElement; set(v: number): void } {
  const input = el('input', { id });
  input.type = 'range';
  input.min = String(range.min);
  input.max = String(range.max);
  input.step = String(range.step);
  input.value = String(value);
  const shown = el('span', { className: 'value' }, format(value));
  input.addEventListener('input', () => {
    shown.textContent = format(Number(input.value));
    onChange(Number(input.value));
  });
  const root = el('label', { className: 'field slider' }, el('span', {}, `${label}: `, shown), input);
  return {
    root,
    input,
    set(v: number) {
      input.value = String(v);
      shown.textContent = format(v);
    },
  };
}

export function checkField(id: string, label: string, value: boolean, onChange: (v: boolean) => void): { root: HTMLLabelElement; input: HTMLInputElement } {
  const input = el('input', { id });
  input.type = 'checkbox';
  input.checked = value;
  input.addEventListener('change', () => onChange(input.checked));
  return { root: el('label', { className: 'check' }, input, label), input };
}
