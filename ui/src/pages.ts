// The page registry: every module ui/src/pages/<id>.ts that exports `const page: Page` is a page,
// routed at #/<id>. The nav shows the pages of NAV in that order (uipages' inference, gateway and
// calls land as files; a missing one shows a placeholder); other pages (e.g. a call's detail) are
// routable but not in the nav.
import type { Page } from './page';

export const NAV: { id: string; title: string }[] = [
  { id: 'overview', title: 'Overview' },
  { id: 'inference', title: 'Inference' },
  { id: 'gateway', title: 'Gateway' },
  { id: 'calls', title: 'GenAI calls' },
  { id: 'explore', title: 'Explore' },
];

const modules = import.meta.glob<{ page?: Page }>(['./pages/*.ts', '!./pages/*.test.ts'], { eager: true });

export const PAGES: Record<string, Page> = {};
for (const [path, mod] of Object.entries(modules)) {
  const id = path.replace(/^\.\/pages\//, '').replace(/\.ts$/, '');
  if (mod.page && typeof mod.page.render === 'function') PAGES[id] = mod.page;
}

export const DEFAULT_PAGE = 'overview';
