/**
 * The public API as a reviewed file: for each entry of package.json `exports`, every
 * exported declaration as the built `.d.ts` states it (comments dropped), followed by
 * the declarations of our own types those mention without exporting. The reports live
 * in api/ and are committed, so a change to what a user can import shows up in review.
 *
 *   npx tsx scripts/api-report.ts [--package DIR] [--update]
 *
 * DIR is a built package (default: this repository after `npm run build`; the test
 * passes the unpacked tarball). Without --update it exits 1 and prints what differs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the reviewed reports live. */
export const API_DIR = join(ROOT, 'api');

interface ExportCondition {
  readonly types?: string;
}

/** Entry name (`pulsesync/engine`) → its declaration file in `packageDir`. */
function entryTypes(packageDir: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | ExportCondition>;
  };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string' || target.types === undefined) continue;
    entries.set(subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, resolve(packageDir, target.types));
  }
  return entries;
}

/** `pulsesync/server/sqlite` → `pulsesync-server-sqlite.api.md`. */
export function reportFileName(entry: string): string {
  return `${entry.replaceAll('/', '-')}.api.md`;
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** The node to print for a declaration: a variable's whole statement. */
function printable(declaration: ts.Declaration): ts.Node {
  if (ts.isVariableDeclaration(declaration) && ts.isVariableDeclarationList(declaration.parent)) return declaration.parent.parent;
  return declaration;
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Is this declaration file part of the package (not a dependency, not a TS lib)? */
function isOurs(fileName: string, packageDir: string): boolean {
  return fileName.startsWith(packageDir) && !fileName.slice(packageDir.length).includes('node_modules/');
}

/** The symbols of our package (under `packageDir`) that a declaration names in its types. */
function referencedSymbols(checker: ts.TypeChecker, node: ts.Node, packageDir: string): ts.Symbol[] {
  const found: ts.Symbol[] = [];
  const visit = (child: ts.Node): void => {
    let name: ts.Node | undefined;
    if (ts.isTypeReferenceNode(child)) name = child.typeName;
    else if (ts.isExpressionWithTypeArguments(child)) name = child.expression;
    else if (ts.isTypeQueryNode(child)) name = child.exprName;
    if (name !== undefined) {
      const symbol = checker.getSymbolAtLocation(ts.isQualifiedName(name) ? name.right : name);
      if (symbol !== undefined) {
        const target = resolveAlias(checker, symbol);
        const declared = target.declarations?.some((d) => isOurs(d.getSourceFile().fileName, packageDir)) ?? false;
        if (declared && !(target.flags & ts.SymbolFlags.TypeParameter)) found.push(target);
      }
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

function printDeclarations(symbol: ts.Symbol): string {
  const printed = new Set<string>();
  for (const declaration of symbol.declarations ?? []) {
    const node = printable(declaration);
    printed.add(printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()));
  }
  return [...printed].join('\n');
}

/** The report of each entry, keyed by entry name. */
export function apiReports(packageDir: string): Map<string, string> {
  const root = resolve(packageDir) + '/';
  const entries = entryTypes(packageDir);
  const program = ts.createProgram([...entries.values()], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const reports = new Map<string, string>();
  for (const [entry, file] of entries) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${entry}: cannot read ${file}`);
    const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
    const shown = new Set<ts.Symbol>();
    const sections: string[] = [];
    const queue: ts.Symbol[] = [];
    for (const symbol of exported) {
      const target = resolveAlias(checker, symbol);
      shown.add(target);
      const external = !(target.declarations ?? []).some((d) => isOurs(d.getSourceFile().fileName, root));
      const text = external ? `// re-exported from a dependency` : printDeclarations(target);
      sections.push(target.name === symbol.name ? text : `// exported as ${symbol.name}\n${text}`);
      for (const declaration of target.declarations ?? []) queue.push(...referencedSymbols(checker, printable(declaration), root));
    }
    const referenced: ts.Symbol[] = [];
    while (queue.length > 0) {
      const symbol = queue.shift() as ts.Symbol;
      if (shown.has(symbol)) continue;
      shown.add(symbol);
      referenced.push(symbol);
      for (const declaration of symbol.declarations ?? []) queue.push(...referencedSymbols(checker, printable(declaration), root));
    }
    referenced.sort((a, b) => a.name.localeCompare(b.name));
    const lines = [
      `# API of \`${entry}\``,
      '',
      'Generated by `scripts/api-report.ts` from the built declarations; `npm test` compares it.',
      'Change it on purpose: `npm run build && npm run api:update`, and review the diff.',
      '',
      '```ts',
      ...sections,
      ...(referenced.length === 0 ? [] : ['', '// Mentioned above, not exported by this entry:', ...referenced.map(printDeclarations)]),
      '```',
      '',
    ];
    reports.set(entry, lines.join('\n'));
  }
  return reports;
}

/** Entries whose report differs from the reviewed file in api/ (missing files too). */
export function staleReports(reports: ReadonlyMap<string, string>): string[] {
  const stale: string[] = [];
  for (const [entry, text] of reports) {
    const file = join(API_DIR, reportFileName(entry));
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(entry);
  }
  return stale;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--package');
  const packageDir = at === -1 ? ROOT : resolve(args[at + 1] ?? '.');
  const reports = apiReports(packageDir);
  if (args.includes('--update')) {
    mkdirSync(API_DIR, { recursive: true });
    for (const [entry, text] of reports) writeFileSync(join(API_DIR, reportFileName(entry)), text);
    console.log(`api-report: wrote ${reports.size} reports to api/`);
  } else {
    const stale = staleReports(reports);
    if (stale.length > 0) {
      console.error(`api-report: the public API of ${stale.join(', ')} differs from api/. If on purpose: npm run build && npm run api:update`);
      process.exit(1);
    }
    console.log(`api-report: ${reports.size} entries match api/`);
  }
}
