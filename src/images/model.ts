// The registry's plain data: projects, members, robots, repositories and artifacts.

/** Roles a member holds in a project, from most to least powerful. */
export const projectRoles = ['project-admin', 'maintainer', 'developer', 'guest', 'limited-guest'] as const;
export type ProjectRole = (typeof projectRoles)[number];

/** What a caller may do to a repository (the Docker token `actions`). */
export const repositoryActions = ['pull', 'push', 'delete'] as const;
export type RepositoryAction = (typeof repositoryActions)[number];

/** A registry project: the first segment of its repositories' names. */
export interface Project {
  readonly name: string;
  /** Owning tenant; empty for a platform project. */
  readonly tenant: string;
  readonly public: boolean;
  /** Stored-bytes quota (each blob counted once); -1 means none. */
  readonly storageLimit: number;
  /** Artifact (manifest) count quota; -1 means none. */
  readonly artifactLimit: number;
  /** Requests per second allowed on the project's repositories; -1 means none. */
  readonly rateLimit: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A user's role in a project; `repositories` narrows it to matching repositories ('' = all). */
export interface Member {
  readonly project: string;
  readonly user: string;
  readonly role: ProjectRole;
  readonly repositories: string;
  readonly createdAt: string;
}

/** One permission of a robot: actions on repositories matching a pattern. */
export interface RobotPermission {
  readonly repositories: string;
  readonly actions: readonly RepositoryAction[];
}

/** A robot account `robot$<project>+<name>`; its secret is never stored, only its digest. */
export interface Robot {
  readonly project: string;
  readonly name: string;
  /** The username clients log in with. */
  readonly username: string;
  readonly description: string;
  readonly permissions: readonly RobotPermission[];
  readonly expiresAt: string;
  readonly revoked: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A repository and its counts. */
export interface Repository {
  readonly name: string;
  readonly project: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly pullCount: number;
  readonly artifactCount: number;
}

/** A manifest stored in a repository, with its tags. */
export interface Artifact {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string;
  readonly size: number;
  readonly subject: string;
  readonly tags: readonly string[];
  readonly pushedAt: string;
  readonly pushedBy: string;
  readonly pulledAt: string | null;
}

/** The robot username for `name` in `project`. */
export function robotUsername(project: string, name: string): string {
  return `robot$${project}+${name}`;
}

/** Splits a robot username into project and name, or undefined when it is not one. */
export function parseRobotUsername(username: string): { project: string; name: string } | undefined {
  const m = /^robot\$([a-z0-9][a-z0-9._-]*)\+([a-z0-9][a-z0-9._-]*)$/.exec(username);
  return m ? { project: m[1], name: m[2] } : undefined;
}

/** Outbox topics the registry publishes, in the transaction of the change (replication, webhooks and deploy triggers consume them). */
export const registryTopics = { pushed: 'registry.artifact.pushed', deleted: 'registry.artifact.deleted' } as const;

/** Payload of a registry outbox event. `tags` are the tags the push set or the delete removed. */
export interface ArtifactEvent {
  readonly project: string;
  readonly tenant: string;
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly mediaType: string;
  readonly actor: string;
  readonly time: string;
}
