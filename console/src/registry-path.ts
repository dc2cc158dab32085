// The registry pages' paths under /projects, read and written as values. Pure.

/** The tabs of a project's page, in display order. */
export const projectTabs = ['repositories', 'members', 'robots', 'policies'] as const;

/** A tab of a project's page. */
export type ProjectTab = (typeof projectTabs)[number];

/** What a path under /projects shows. */
export type RegistryView =
  | { readonly kind: 'projects' }
  | { readonly kind: 'project'; readonly project: string; readonly tab: ProjectTab }
  | { readonly kind: 'repository'; readonly project: string; readonly repository: string }
  | { readonly kind: 'notFound' };

/** The base path of the registry pages. */
export const projectsPath = '/projects';

function isTab(value: string): value is ProjectTab {
  return (projectTabs as readonly string[]).includes(value);
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Reads a browser path: `/projects` lists projects; `/projects/P` and `/projects/P/<tab>` open a
 * project (Repositories by default); `/projects/P/repositories/a/b` opens repository `P/a/b`.
 * Trailing slashes are ignored; anything else, including an undecodable segment, is notFound.
 */
export function parseRegistryPath(pathname: string): RegistryView {
  if (pathname !== projectsPath && !pathname.startsWith(`${projectsPath}/`)) return { kind: 'notFound' };
  const raw = pathname.slice(projectsPath.length).split('/').filter((s) => s !== '');
  const segments = raw.map(decode);
  if (segments.some((s) => s === undefined || s.includes('/'))) return { kind: 'notFound' };
  const [project, tab, ...rest] = segments as string[];
  if (project === undefined) return { kind: 'projects' };
  if (tab === undefined) return { kind: 'project', project, tab: 'repositories' };
  if (tab === 'repositories' && rest.length > 0) return { kind: 'repository', project, repository: [project, ...rest].join('/') };
  if (isTab(tab) && rest.length === 0) return { kind: 'project', project, tab };
  return { kind: 'notFound' };
}

/** The path of a view; `parseRegistryPath(registryPath(v))` gives `v` back. */
export function registryPath(view: Exclude<RegistryView, { readonly kind: 'notFound' }>): string {
  if (view.kind === 'projects') return projectsPath;
  const project = `${projectsPath}/${encodeURIComponent(view.project)}`;
  if (view.kind === 'project') return view.tab === 'repositories' ? project : `${project}/${view.tab}`;
  const inside = view.repository.startsWith(`${view.project}/`) ? view.repository.slice(view.project.length + 1) : view.repository;
  return `${project}/repositories/${inside.split('/').map(encodeURIComponent).join('/')}`;
}
