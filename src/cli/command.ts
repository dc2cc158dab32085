// Shared plumbing for CLI commands: what a command module is, flag parsing with clear errors,
// and one place that turns failures into a message and an exit status.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './client.ts';

/** A command module: parses its own arguments and returns the exit status. */
export interface CommandModule {
  run(args: readonly string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly; an unknown flag is a CliError with exit status 2. */
export function flags<O extends Options>(args: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${usage}`, 2);
  }
}

/** Runs a command body; prints failures on stderr and returns the exit status. */
export async function guarded(name: string, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`berth ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`berth ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Reads all of standard input as text (for --password-stdin). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
