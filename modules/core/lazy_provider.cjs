// Node.js preload (NODE_OPTIONS=--require) for the jsii kernel process.
//
// The @cdktf/provider-aws barrel file (lib/index.js) is ~2,100 lines of
// `exports.s3Bucket = require("./s3-bucket");`, so loading the assembly
// requires every resource module (about 2.6 s). jsii only ever reads the
// namespaces a program uses, so this hook replaces that barrel with an object
// whose properties require their module on first access. Exported names and
// modules are read from the barrel itself; anything else is left untouched.
"use strict";
const Module = require("module");
const fs = require("fs");
const path = require("path");

const EXPORT_LINE = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w.-]+)"\);$/gm;
const lazyBarrels = new Map();
const originalLoad = Module._load;

function isProviderBarrel(filename) {
  if (!filename.endsWith(path.join("lib", "index.js"))) return false;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(filename, "..", "..", "package.json"), "utf8"));
    return pkg.name === "@cdktf/provider-aws";
  } catch {
    return false;
  }
}

function lazyBarrel(filename) {
  const source = fs.readFileSync(filename, "utf8");
  const requireFromBarrel = Module.createRequire(filename);
  const barrel = {};
  Object.defineProperty(barrel, "__esModule", { value: true });
  for (const [, name, request] of source.matchAll(EXPORT_LINE)) {
    Object.defineProperty(barrel, name, {
      enumerable: true,
      configurable: true,
      get() {
        const value = requireFromBarrel(request);
        Object.defineProperty(barrel, name, { value, enumerable: true, configurable: true });
        return value;
      },
    });
  }
  return barrel;
}

Module._load = function load(request, parent, isMain) {
  if (typeof request === "string" && request.includes("provider-aws")) {
    const filename = Module._resolveFilename(request, parent, isMain);
    if (!lazyBarrels.has(filename) && isProviderBarrel(filename)) {
      lazyBarrels.set(filename, lazyBarrel(filename));
    }
    if (lazyBarrels.has(filename)) return lazyBarrels.get(filename);
  }
  return originalLoad.apply(this, arguments);
};
