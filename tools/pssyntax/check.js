#!/usr/bin/env node
// PowerShell syntax check that needs no PowerShell.
// Grammar: the tree-sitter-powershell npm package ships a prebuilt tree-sitter-powershell.wasm; web-tree-sitter
// (pure WebAssembly, no native build) loads it. After `npm ci --ignore-scripts` everything works offline.
//
// Usage: node check.js [root ...]       parse every .ps1/.psd1/.psm1 under the roots (default: repo root)
//        node check.js --self-test      prove that broken snippets are rejected and good ones accepted
// Exit code: 0 when every file parsed without ERROR/MISSING nodes, 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

const EXCLUDED_DIRS = new Set(['node_modules', 'out', 'bin', 'obj', '.git', 'TestResults']);
const EXTENSIONS = new Set(['.ps1', '.psd1', '.psm1']);

async function createParser() {
  await Parser.init();
  const wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  const lang = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(lang);
  return parser;
}

// Returns a list of problems: { kind: 'ERROR'|'MISSING', row, column, text }.
function findProblems(parser, source) {
  const tree = parser.parse(source);
  const problems = [];
  const cursor = tree.walk();
  let done = false;
  while (!done) {
    const node = cursor.currentNode;
    if (node.isError || node.type === 'ERROR') {
      problems.push({ kind: 'ERROR', row: node.startPosition.row + 1, column: node.startPosition.column + 1, text: node.text.slice(0, 60) });
    } else if (node.isMissing) {
      problems.push({ kind: 'MISSING', row: node.startPosition.row + 1, column: node.startPosition.column + 1, text: node.type });
    }
    // Only descend when the subtree has an error somewhere (cheap pruning).
    if (node.hasError && cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) { done = true; break; }
    }
  }
  if (problems.length === 0 && tree.rootNode.hasError) {
    problems.push({ kind: 'ERROR', row: 1, column: 1, text: '(tree reports an error)' });
  }
  tree.delete();
  return problems;
}

function collect(root, out) {
  const st = fs.statSync(root);
  if (st.isFile()) {
    if (EXTENSIONS.has(path.extname(root).toLowerCase())) out.push(root);
    return;
  }
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!EXCLUDED_DIRS.has(entry.name)) collect(path.join(root, entry.name), out);
    } else if (entry.isFile() && EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
      out.push(path.join(root, entry.name));
    }
  }
}

function readSource(file) {
  let text = fs.readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
  return text;
}

const SELF_TESTS = [
  { name: 'unclosed brace', code: 'function Foo {\n  Write-Output 1\n', ok: false },
  { name: 'unclosed string', code: '$x = "abc\n', ok: false },
  { name: 'unclosed paren', code: 'if ($a -eq 1 { }\n', ok: false },
  { name: 'dangling hashtable', code: '@{ A = 1; B = \n', ok: false },
  { name: 'good script', code: 'param([string]$Name = "x")\n$h = @{ A = 1 }\nif ($h.A -eq 1) { Write-Output "ok $Name" }\n', ok: true },
  { name: 'good manifest', code: "@{\n  RootModule = 'a.dll'\n  CmdletsToExport = @('Get-A', 'Set-A')\n}\n", ok: true },
];

async function selfTest(parser) {
  let failed = 0;
  for (const t of SELF_TESTS) {
    const problems = findProblems(parser, t.code);
    const accepted = problems.length === 0;
    const pass = accepted === t.ok;
    if (!pass) failed++;
    console.log(`${pass ? 'PASS' : 'FAIL'} self-test: ${t.name} (${t.ok ? 'must parse' : 'must be rejected'}; ${accepted ? 'parsed' : problems.length + ' problem(s)'})`);
  }
  return failed;
}

async function main() {
  const args = process.argv.slice(2);
  const parser = await createParser();
  let passed = 0;
  let failed = 0;
  // The negative self-test always runs first: a checker that accepts everything is worse than none.
  const selfFailed = await selfTest(parser);
  passed += SELF_TESTS.length - selfFailed;
  failed += selfFailed;
  if (args.includes('--self-test')) {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  }
  const roots = args.filter((a) => !a.startsWith('--'));
  if (roots.length === 0) roots.push(path.resolve(__dirname, '..', '..'));
  const files = [];
  for (const r of roots) collect(path.resolve(r), files);
  files.sort();
  for (const file of files) {
    const problems = findProblems(parser, readSource(file));
    const rel = path.relative(process.cwd(), file) || file;
    if (problems.length === 0) {
      passed++;
      console.log(`PASS ${rel}`);
    } else {
      failed++;
      console.log(`FAIL ${rel}`);
      for (const p of problems.slice(0, 10)) console.log(`  ${p.kind} at ${p.row}:${p.column} ${JSON.stringify(p.text)}`);
    }
  }
  if (files.length === 0) console.log('no PowerShell files found');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && files.length > 0 ? 0 : 1);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(2); });
