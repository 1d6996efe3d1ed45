// pot's message channels for the simulator: `###>`/`===>`/`=====>` lines on stdout, exits as exceptions.
import { writeSync } from "node:fs";

/** Thrown to end the current pot invocation with `code`, like pot's `${EXIT} N`. */
export class SimExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function exit(code: number): never {
  throw new SimExit(code);
}

function write(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // The reader went away (EPIPE); pot's echo would fail silently too.
  }
}

/**
 * pot's `_msg`: `echo "###> " "$@"`, i.e. the marker, two spaces, the words joined by one space. Errors are
 * shown at any verbosity, info from 1 (the default), debug from 2. Every `-v` adds one.
 */
export class Output {
  verbosity = 1;

  error(...words: string[]): void {
    write(1, `###>  ${words.join(" ")}\n`);
  }

  info(...words: string[]): void {
    if (this.verbosity >= 1) write(1, `===>  ${words.join(" ")}\n`);
  }

  debug(...words: string[]): void {
    if (this.verbosity >= 2) write(1, `=====>  ${words.join(" ")}\n`);
  }

  /** Plain stdout text (a trailing newline is added when missing). */
  print(text: string): void {
    write(1, text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Raw stdout bytes, no newline added. */
  raw(text: string): void {
    write(1, text);
  }

  stderr(text: string): void {
    write(2, text.endsWith("\n") ? text : `${text}\n`);
  }
}
