// Jest on Node < 24.9 cannot require() an ES module from a CommonJS one, and @nestjs/throttler 6
// ships CommonJS that requires @nestjs/common and @nestjs/core, which are ESM-only since Nest 12.
// Node itself (>= 20.19) handles this natively, so only tests need help: this transform rewrites
// the package's TypeScript-emitted CommonJS files as ES modules (each require() becomes an import of
// the very same module instance, each export a named export), so Jest's ESM loader can load them.
// The code itself runs unchanged, inside a function that receives `exports`, `require` and `module`.
const REQUIRE = /\brequire\("([^"]+)"\)/g;
const ASSIGNED = /\bexports\.([A-Za-z_$][\w$]*)\s*=/g;
const DEFINED = /Object\.defineProperty\(exports,\s*"([A-Za-z_$][\w$]*)"/g;
const STAR = /__exportStar\(require\("([^"]+)"\),\s*exports\)/g;

function toEsm(source) {
  const specifiers = [...new Set([...source.matchAll(REQUIRE)].map((m) => m[1]))];
  const names = new Set([...source.matchAll(ASSIGNED), ...source.matchAll(DEFINED)].map((m) => m[1]));
  names.delete('__esModule');
  const stars = [...source.matchAll(STAR)].map((m) => m[1]);
  const body = source.replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const lines = [
    ...specifiers.map((s, i) => `import * as __cjs_dep${i} from ${JSON.stringify(s)};`),
    `const __cjs_deps = { ${specifiers.map((s, i) => `${JSON.stringify(s)}: __cjs_dep${i}`).join(', ')} };`,
    'const __cjs_module = { exports: {} };',
    '(function (exports, require, module) {',
    body,
    '}).call(undefined, __cjs_module.exports, (id) => __cjs_deps[id], __cjs_module);',
    ...[...names].map((name, i) => `const __cjs_export${i} = __cjs_module.exports[${JSON.stringify(name)}];`),
    `export { ${[...names].map((name, i) => `__cjs_export${i} as ${name}`).join(', ')} };`,
    ...stars.map((s) => `export * from ${JSON.stringify(s)};`),
    'export default __cjs_module.exports;',
  ];
  return lines.join('\n');
}

module.exports = {
  process(source) {
    return { code: toEsm(source) };
  },
  getCacheKey(source, path) {
    return `cjs-to-esm-v1:${path}:${source.length}:${require('node:crypto').createHash('sha1').update(source).digest('hex')}`;
  },
};
