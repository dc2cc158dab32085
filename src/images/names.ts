// Repository names, tags and references as the OCI Distribution spec defines them, and the
// project a repository belongs to (its first path segment). Pure.

const component = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const namePattern = new RegExp(`^${component}(?:/${component})*$`);
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Longest repository name accepted (Distribution's limit). */
export const maxNameLength = 255;

/**
 * True when `name` is a valid repository name with at least two components (`<project>/<repo>`):
 * lower case, no `..`, no empty or encoded segments.
 */
export function isRepositoryName(name: string): boolean {
  return name.length <= maxNameLength && namePattern.test(name) && name.includes('/');
}

/** True when `tag` matches the OCI tag grammar (at most 128 characters). */
export function isTag(tag: string): boolean {
  return tagPattern.test(tag);
}

/** A project name: one name component, used as the repository's first segment. */
export function isProjectName(name: string): boolean {
  return name.length >= 2 && name.length <= 63 && /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name);
}

/** The project (first path segment) of a repository name. */
export function projectOf(repository: string): string {
  const i = repository.indexOf('/');
  return i < 0 ? repository : repository.slice(0, i);
}
