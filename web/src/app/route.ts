// The page's place lives in the URL hash (`#/sandboxes/sb-1a2b3c4d/policies`), so reload and the back
// button return to the same screen, and everything on it is fetched again from the server.

export const SandboxTabs = { matrix: 'matrix', policies: 'policies', overview: 'overview' } as const;
export type SandboxTab = (typeof SandboxTabs)[keyof typeof SandboxTabs];
const tabList: readonly SandboxTab[] = ['matrix', 'policies', 'overview'];

export type Route =
  | { readonly view: 'home' }
  | { readonly view: 'launch' }
  | { readonly view: 'drift' }
  | { readonly view: 'sandbox'; readonly sandboxId: string; readonly tab: SandboxTab };

const sandboxIdPattern = /^sb-[0-9a-f]{8}$/;

function isSandboxTab(value: string): value is SandboxTab {
  return tabList.some((tab) => tab === value);
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '');
  const [first, second, third] = parts;
  if (first === 'new') return { view: 'launch' };
  if (first === 'drift') return { view: 'drift' };
  if (first === 'sandboxes' && second !== undefined && sandboxIdPattern.test(second)) {
    return { view: 'sandbox', sandboxId: second, tab: third !== undefined && isSandboxTab(third) ? third : SandboxTabs.matrix };
  }
  return { view: 'home' };
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'launch':
      return '#/new';
    case 'drift':
      return '#/drift';
    case 'sandbox':
      return route.tab === SandboxTabs.matrix ? `#/sandboxes/${route.sandboxId}` : `#/sandboxes/${route.sandboxId}/${route.tab}`;
  }
}
