// Asserting that a pot operation failed, and how.
import { expect } from "bun:test";
import { PotError, type PotErrorKind } from "../../src/pot/errors.ts";

/** The PotError `promise` rejects with; the test fails when it resolves, rejects otherwise, or (given) with another kind. */
export async function potRejection(promise: Promise<unknown>, kind?: PotErrorKind): Promise<PotError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(PotError);
  if (kind !== undefined) expect((error as PotError).kind).toBe(kind);
  return error as PotError;
}
