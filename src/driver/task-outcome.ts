// How a task ended (driver layer). `unknown` is reported to Nomad as an explicit error, never as exit code 0.
export type TaskOutcome = { kind: "exited"; exitCode: number; signal: number; oomKilled: boolean } | { kind: "unknown"; reason: string };
