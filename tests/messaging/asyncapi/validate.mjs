// Parse an AsyncAPI document with the official parser and its default rules; print every
// diagnostic as JSON and exit 1 when the document does not parse or any diagnostic is an error.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const severity = Object.fromEntries(Object.entries(DiagnosticSeverity).map(([name, n]) => [n, name]));
const { document, diagnostics } = await new Parser().parse(await readFile(process.argv[2], "utf8"));
const report = {
  parsed: document !== undefined,
  diagnostics: diagnostics.map((d) => ({
    severity: severity[d.severity],
    code: d.code,
    path: d.path.join("."),
    message: d.message,
  })),
};
console.log(JSON.stringify(report));
process.exit(report.parsed && !report.diagnostics.some((d) => d.severity === "Error") ? 0 : 1);
