/**
 * Reports every file in src/ over 350 lines and every function over 80 lines, and exits 1 when it
 * finds one. Small files and short functions are the house rule: a long closure of inner functions
 * is a module waiting to be split (docs/architecture.md). Run: `npm run check-size`.
 *
 * A function's length is counted from its first line to its last, nested functions included, so a
 * factory that holds twenty inner functions is as long as it looks.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export const MAX_FILE_LINES = 350;
export const MAX_FUNCTION_LINES = 80;

export interface SizeFinding {
  file: string;
  /** The function's name as a reader would look it up, or undefined for the file itself. */
  name: string | undefined;
  line: number;
  lines: number;
  limit: number;
}

function listTypeScript(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listTypeScript(path));
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function functionName(node: ts.Node, sourceFile: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) {
    return node.name.getText(sourceFile);
  }
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText(sourceFile);
  }
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

/** Every function (declaration, method, arrow, expression) longer than the limit in one source text. */
export function findLongFunctions(file: string, text: string, limit = MAX_FUNCTION_LINES): SizeFinding[] {
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const findings: SizeFinding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line;
      const end = sourceFile.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit)
        findings.push({ file, name: functionName(node, sourceFile), line: start + 1, lines, limit });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return findings;
}

export function checkSizes(root: string): SizeFinding[] {
  const findings: SizeFinding[] = [];
  for (const path of listTypeScript(join(root, 'src'))) {
    const file = relative(root, path);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES)
      findings.push({ file, name: undefined, line: 1, lines, limit: MAX_FILE_LINES });
    findings.push(...findLongFunctions(file, text));
  }
  return findings;
}

function describe(finding: SizeFinding): string {
  const what = finding.name === undefined ? 'file' : `function ${finding.name}`;
  return `${finding.file}:${finding.line}  ${what}: ${finding.lines} lines (limit ${finding.limit})`;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const findings = checkSizes(process.cwd());
  for (const finding of findings) console.log(describe(finding));
  console.log(
    findings.length === 0
      ? `check-size: no file in src/ over ${MAX_FILE_LINES} lines, no function over ${MAX_FUNCTION_LINES}`
      : `check-size: ${findings.length} over the limits`,
  );
  process.exitCode = findings.length === 0 ? 0 : 1;
}
