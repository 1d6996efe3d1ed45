// y/N questions on the operator's terminal (cli layer).
import { createInterface } from "node:readline";
import { isYes } from "./orphan-plan.ts";

export interface Prompter {
  /** Prints `question` and resolves true only for a "y"/"yes" answer. End of input answers no, now and after. */
  confirm(question: string): Promise<boolean>;
  close(): void;
}

/**
 * Reads answers line by line from `input`, writing questions to `output`. The caller decides whether input is
 * a terminal; this never reads anything until the first question.
 */
export function linePrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  let reader: ReturnType<typeof createInterface> | undefined;
  let ended = false;
  const lines: string[] = [];
  const waiting: Array<(line: string | undefined) => void> = [];
  const open = () => {
    if (reader !== undefined) return;
    reader = createInterface({ input, terminal: false });
    reader.on("line", (line) => {
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    });
    reader.on("close", () => {
      ended = true;
      for (const next of waiting.splice(0)) next(undefined);
    });
  };
  return {
    async confirm(question: string): Promise<boolean> {
      output.write(question);
      if (ended && lines.length === 0) {
        output.write("\n");
        return false;
      }
      open();
      const buffered = lines.shift();
      const line = buffered !== undefined ? buffered : await new Promise<string | undefined>((resolve) => waiting.push(resolve));
      if (line === undefined) {
        output.write("\n");
        return false;
      }
      return isYes(line);
    },
    close() {
      reader?.close();
      reader = undefined;
    },
  };
}
