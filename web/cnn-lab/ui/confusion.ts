/** The confusion matrix as an HTML table (rows: true digit, columns: predicted), coloured with d3. */
import * as d3 from 'd3';

export function renderConfusion(container: HTMLElement, confusion: number[][]): void {
  const max = Math.max(1, ...confusion.flat());
  const color = d3.scaleSequentialSqrt(d3.interpolateBlues).domain([0, max]);
  const table = document.createElement('table');
  table.className = 'confusion';
  table.id = 'confusion-table';
  const head = table.createTHead().insertRow();
  head.append(cell('th', 'true ↓ / pred →', 'corner'));
  for (let c = 0; c < 10; c++) head.append(cell('th', String(c)));
  const body = table.createTBody();
  confusion.forEach((row, t) => {
    const tr = body.insertRow();
    tr.append(cell('th', String(t)));
    row.forEach((n, p) => {
      const td = cell('td', n ? String(n) : '');
      td.style.background = n ? color(n) : '';
      td.style.color = n > max * 0.45 ? '#fff' : '#222';
      if (t === p) td.classList.add('diag');
      td.title = `true ${t}, predicted ${p}: ${n}`;
      tr.append(td);
    });
  });
  container.replaceChildren(table);
}

function cell(tag: 'td' | 'th', text: string, className = ''): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (className) c.className = className;
  return c;
}
