// The one gate for tests that need something from the machine: skip loudly locally, fail under CI=true.

/** Says why the tests of `what` cannot run: a thrown error under CI=true, a loud warning (and false) otherwise. */
export function skipOrFail(what: string, why: string): false {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${what} cannot run: ${why}`);
  console.warn(`\n!!! SKIPPING ${what}: ${why}\n`);
  return false;
}
