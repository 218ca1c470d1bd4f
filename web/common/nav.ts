/** The navigation bar shared by the lab pages. */
const PAGES = [
  { id: 'playground', title: 'Playground', href: '../playground/' },
  { id: 'cnn-lab', title: 'CNN lab', href: '../cnn-lab/' },
  { id: 'filter-bench', title: 'Filter bench', href: '../filter-bench/' },
] as const;

export type PageId = (typeof PAGES)[number]['id'];

export function mountNav(current: PageId, note = 'runs on Strata, in your browser'): void {
  const nav = document.createElement('nav');
  nav.className = 'lab-nav';
  const brand = document.createElement('a');
  brand.className = 'brand';
  brand.href = '../';
  brand.textContent = 'Strata Lab';
  nav.append(brand);
  for (const p of PAGES) {
    const a = document.createElement('a');
    a.className = 'page';
    a.href = p.href;
    a.textContent = p.title;
    if (p.id === current) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const spacer = document.createElement('span');
  spacer.className = 'spacer';
  const n = document.createElement('span');
  n.className = 'note';
  n.textContent = note;
  nav.append(spacer, n);
  document.body.prepend(nav);
}
