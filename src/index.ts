/**
 * The entry the runner starts (dist/index.js is this file bundled). It only wires: real dependencies in,
 * one `setFailed` line out.
 */
import * as core from '@actions/core';
import { ActionError } from './errors.js';
import { run } from './main.js';

try {
  await run({ core, env: process.env });
} catch (error) {
  if (error instanceof ActionError) {
    core.debug(stackFrames(error));
    core.setFailed(error.message);
  } else {
    // An unexpected error's message may quote data (JSON.parse quotes its input, for one), so only
    // its type is shown, and the stack frames without the message go to the debug log.
    const name = error instanceof Error ? error.name : typeof error;
    core.debug(stackFrames(error));
    core.setFailed(
      `Unexpected error (${name}). Run again with debug logging for the stack trace, and report it to the action's maintainers.`
    );
  }
}

function stackFrames(error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}
