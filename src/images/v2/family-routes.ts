// The contract between the /v2 plugin and its endpoint families: what a family's handler is
// given, and what it declares. Types only; the plugin (routes.ts) and every family import it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RepositoryAction } from '../model.ts';
import type { Authenticated, Granted } from './gate-routes.ts';
import type { Op, RepoOp } from './paths.ts';

/** One request as a family's handler sees it, after the plugin's hooks let it through. */
export interface Call<O extends Op, W> {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  readonly op: O;
  readonly query: URLSearchParams;
  /** What the authentication hook established: the caller, with its grant on a repository. */
  readonly who: W;
}

/** The endpoints of one family on a repository. */
export interface RepoFamily<K extends RepoOp['kind']> {
  /**
   * The action `method` needs on the repository, checked by the authentication hook before
   * the handler runs. Throws UNSUPPORTED (405) for a method the family does not answer.
   */
  readonly action: (method: string) => RepositoryAction;
  readonly handle: (call: Call<Extract<Op, { kind: K }>, Granted>) => Promise<unknown>;
}

/** An endpoint that is not on one repository (the catalog). */
export type RegistryHandler<K extends Op['kind']> = (call: Call<Extract<Op, { kind: K }>, Authenticated>) => Promise<unknown>;
