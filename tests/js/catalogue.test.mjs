// The page builds its controls from www/catalogue.js without asking the worker: it must
// say exactly what the module says of its embedded models and their methods.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as lrp from "../../pkg/lrp.js";
import { CATALOGUE } from "../../www/catalogue.js";

lrp.initSync({ module: readFileSync(fileURLToPath(new URL("../../pkg/lrp_bg.wasm", import.meta.url))) });

test("www/catalogue.js is the module's models() and methods(name) of each, value for value", () => {
  const models = lrp.models();
  assert.deepEqual(CATALOGUE.models, models);
  assert.deepEqual(Object.keys(CATALOGUE.methods), models.map((m) => m.name));
  for (const { name } of models) assert.deepEqual(CATALOGUE.methods[name], lrp.methods(name), name);
  assert.ok(models.length >= 3 && models.every(({ name }) => CATALOGUE.methods[name].length > 0));
});
