/** The CLI's own errors: printed as one line by output.ts reportError, never with a stack. */

/** An error reported by a server's admin API: its stable code and message, as the error body gave them. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** An expected failure of the CLI itself (no key, store locked); printed as one line, never with a stack. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}
