// Reads the exports of a declaration file with the TypeScript compiler: which names a module
// exports, and which of them are runtime values (classes, functions, variables, enums) rather
// than types only.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');

/**
 * @param {string} file path of a .d.ts entry point
 * @returns {{ values: string[], types: string[] }} sorted export names, split by kind
 */
export function declaredExports(file) {
  const program = ts.createProgram([file], {
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} is not a module`);
  const values = [];
  const types = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    // A `const enum` has no runtime object; anything else with a value meaning exists at run time.
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0 && (target.flags & ts.SymbolFlags.ConstEnum) === 0;
    (isValue ? values : types).push(exported.getName());
  }
  return { values: values.sort(), types: types.sort() };
}

/**
 * The public instance members (properties and methods) that a declaration file declares for each
 * exported class, private and protected members excluded.
 * @param {string} file path of a .d.ts entry point
 * @returns {Record<string, string[]>} class name → sorted member names
 */
export function declaredClassMembers(file) {
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  const result = {};
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!(symbol.flags & ts.SymbolFlags.Class)) continue;
    const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
    result[exported.getName()] = checker
      .getPropertiesOfType(instanceType)
      .filter((p) => {
        const modifiers = ts.getCombinedModifierFlags(p.valueDeclaration ?? p.declarations[0]);
        return !(modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));
      })
      .map((p) => p.getName())
      .sort();
  }
  return result;
}
