// Tests for src/plugin/status.ts and unary.ts: which gRPC code and recoverable flag each error kind gets, from
// whichever layer raised it; what an error without a kind becomes; the RecoverableError detail StartTask needs
// (docs/protocol.md §7.3); and a unary handler turning values, throws and rejections into answers.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { DriverError } from "../../../src/driver/errors.ts";
import { log } from "../../../src/log/logger.ts";
import { isRecoverable, statusCode, toServiceError, unimplemented } from "../../../src/plugin/status.ts";
import { unary } from "../../../src/plugin/unary.ts";
import { PotError } from "../../../src/pot/errors.ts";
import type { ErrorKind } from "../../../src/support/error-kinds.ts";
import { SupervisorError } from "../../../src/supervisor/errors.ts";
import { recoverableDetail } from "../../support/recoverable.ts";

/** Every kind: its gRPC code, and whether Nomad's restart policy may retry a start that failed with it. */
const EXPECTED: Record<ErrorKind, { code: grpc.status; recoverable: boolean }> = {
  "invalid-config": { code: grpc.status.INVALID_ARGUMENT, recoverable: false },
  "invalid-argument": { code: grpc.status.INVALID_ARGUMENT, recoverable: false },
  "not-found": { code: grpc.status.NOT_FOUND, recoverable: true },
  "already-exists": { code: grpc.status.ALREADY_EXISTS, recoverable: false },
  "failed-precondition": { code: grpc.status.FAILED_PRECONDITION, recoverable: false },
  locked: { code: grpc.status.FAILED_PRECONDITION, recoverable: true },
  unimplemented: { code: grpc.status.UNIMPLEMENTED, recoverable: false },
  failed: { code: grpc.status.UNKNOWN, recoverable: true },
  "timed-out": { code: grpc.status.DEADLINE_EXCEEDED, recoverable: true },
  corrupt: { code: grpc.status.DATA_LOSS, recoverable: false },
  internal: { code: grpc.status.INTERNAL, recoverable: false },
};

let logSpy: ReturnType<typeof spyOn> | undefined;

/** log.error, silenced and recorded until the test ends. */
function quietErrors() {
  logSpy = spyOn(log, "error").mockImplementation(() => {});
  return logSpy;
}

afterEach(() => {
  logSpy?.mockRestore();
  logSpy = undefined;
});

describe("kind → code and recoverable flag", () => {
  for (const [kind, expected] of Object.entries(EXPECTED) as [ErrorKind, (typeof EXPECTED)[ErrorKind]][]) {
    test(`${kind}: ${grpc.status[expected.code]}, ${expected.recoverable ? "recoverable" : "not recoverable"}`, () => {
      const err = new DriverError(kind, `something ${kind}`);
      expect(statusCode(err)).toBe(expected.code);
      expect(isRecoverable(err)).toBe(expected.recoverable);
      const answer = toServiceError(err, { rpc: "StopTask" });
      expect(answer.code).toBe(expected.code);
      expect(answer.details).toBe(`something ${kind}`);
    });
  }

  test("pot's and the supervisor's errors are coded by their kind like the driver's", () => {
    const timedOut = new PotError("failed to run pot stop: timed out after 10 ms", {
      kind: "timed-out",
      argv: ["pot", "stop"],
      exitCode: null,
    });
    expect(statusCode(timedOut)).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(isRecoverable(timedOut)).toBe(true);
    const refused = new PotError("failed to build pot set-env: bad name", { kind: "invalid-argument", argv: ["set-env"], exitCode: null });
    expect(statusCode(refused)).toBe(grpc.status.INVALID_ARGUMENT);
    expect(isRecoverable(refused)).toBe(false);
    const corrupt = new SupervisorError("corrupt", "failed to read bundle /b: spec.json is not JSON", { bundleDir: "/b" });
    expect(statusCode(corrupt)).toBe(grpc.status.DATA_LOSS);
    expect(isRecoverable(corrupt)).toBe(false);
  });

  test("an error without a kind is INTERNAL, not recoverable, and logged as unexpected with its RPC", () => {
    const logged = quietErrors();
    const err = new TypeError("cannot read properties of undefined");
    expect(statusCode(err)).toBe(grpc.status.INTERNAL);
    expect(isRecoverable(err)).toBe(false);
    const answer = toServiceError(err, { rpc: "InspectTask" });
    expect(answer.code).toBe(grpc.status.INTERNAL);
    expect(answer.details).toBe("cannot read properties of undefined");
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]).toEqual([{ rpc: "InspectTask", error: err }, "unexpected error in rpc"]);
  });

  test("an error with a kind is not logged as unexpected", () => {
    const logged = quietErrors();
    toServiceError(new DriverError("not-found", "task not found"), { rpc: "WaitTask" });
    expect(logged).not.toHaveBeenCalled();
  });
});

describe("the answer's message and details", () => {
  test("the message names the causes the error does not already say", () => {
    const cause = new Error("pot: the pot web is not running");
    const answer = toServiceError(new DriverError("failed", "failed to send SIGHUP to task t", { cause }));
    expect(answer.details).toBe("failed to send SIGHUP to task t: pot: the pot web is not running");
    expect(answer.message).toBe(answer.details);
  });

  test("only StartTask errors carry the RecoverableError detail; their code is FAILED_PRECONDITION", () => {
    expect(recoverableDetail(toServiceError(new DriverError("failed", "x"), { rpc: "StopTask" }))).toBeUndefined();
    for (const [kind, recoverable] of [
      ["failed", true],
      ["invalid-config", false],
      ["already-exists", false],
      ["timed-out", true],
    ] as const) {
      const answer = toServiceError(new DriverError(kind, `failed to start task: ${kind}`), { rpc: "StartTask", withRecoverable: true });
      expect(answer.code).toBe(grpc.status.FAILED_PRECONDITION);
      const detail = recoverableDetail(answer);
      expect(detail?.recoverable).toBe(recoverable);
      // The trailer's status repeats the call's code and message (Nomad reads the detail from it).
      expect(detail?.status.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(detail?.status.message).toBe(`failed to start task: ${kind}`);
    }
  });

  test("a start that failed without a kind is not recoverable", () => {
    quietErrors();
    const answer = toServiceError(new Error("boom"), { rpc: "StartTask", withRecoverable: true });
    expect(recoverableDetail(answer)?.recoverable).toBe(false);
  });

  test("an unimplemented RPC says which", () => {
    const answer = unimplemented("CreateNetwork");
    expect(answer.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(answer.details).toBe("CreateNetwork is not implemented by the pot driver");
  });
});

describe("unary", () => {
  type Answer = { err: grpc.ServiceError | null; value: unknown };

  /** Calls a unary handler with `request`; resolves with what it answered through its callback. */
  function call<Req, Res>(handler: grpc.handleUnaryCall<Req, Res>, request: Req): Promise<Answer> {
    return new Promise((resolve) => {
      const fakeCall = { request } as unknown as grpc.ServerUnaryCall<Req, Res>;
      handler(fakeCall, (err, value) => resolve({ err: (err as grpc.ServiceError | null) ?? null, value }));
    });
  }

  test("a value or a resolved promise is the answer, given the request", async () => {
    expect(
      await call(
        unary("Echo", (request: { n: number }) => ({ n: request.n + 1 })),
        { n: 1 },
      ),
    ).toEqual({
      err: null,
      value: { n: 2 },
    });
    expect(
      await call(
        unary("Echo", async (request: { n: number }) => ({ n: request.n * 3 })),
        { n: 2 },
      ),
    ).toEqual({
      err: null,
      value: { n: 6 },
    });
  });

  test("a throw and a rejection are answered with the error's status", async () => {
    const thrown = await call(
      unary("SignalTask", () => {
        throw new DriverError("invalid-argument", 'unknown signal "SIGNOPE"');
      }),
      {},
    );
    expect(thrown.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(thrown.err?.details).toBe('unknown signal "SIGNOPE"');
    const rejected = await call(
      unary("WaitTask", async () => {
        throw new DriverError("not-found", "task not found");
      }),
      {},
    );
    expect(rejected.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(rejected.value).toBeUndefined();
  });

  test("with the StartTask option, a failure carries the recoverable detail", async () => {
    const answer = await call(
      unary(
        "StartTask",
        async () => {
          throw new DriverError("failed", "failed to start task: pot prepare failed");
        },
        { withRecoverable: true },
      ),
      {},
    );
    expect(answer.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(recoverableDetail(answer.err as grpc.ServiceError)?.recoverable).toBe(true);
  });
});
