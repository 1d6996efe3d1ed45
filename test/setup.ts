// Shared preload for every bun:test file: nothing global beyond the timeout multiplier.
export const TIMEOUT_MULTIPLIER = Number(process.env.TEST_TIMEOUT_MULTIPLIER ?? "1") || 1;
