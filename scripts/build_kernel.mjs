// Assemble py/mnist_sorter/gemm.wat into a WebAssembly shared library Pyodide can load.
//
//   node scripts/build_kernel.mjs IN.wat OUT.so
//
// wabt (pinned in package.json) turns the text into a module; a `dylink.0`
// custom section is then put first, as Emscripten's dynamic loader (dlopen,
// hence Python's ctypes.CDLL) requires of a side module. The kernel has no data
// and no table, so the section declares zero sizes.
import fs from "node:fs";
import wabtInit from "wabt";

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error("usage: node scripts/build_kernel.mjs IN.wat OUT.so");
  process.exit(2);
}

function uleb128(value) {
  const bytes = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return Buffer.from(bytes);
}

function dylinkSection() {
  const name = Buffer.from("dylink.0");
  const memInfo = Buffer.from([0, 0, 0, 0]); // memory size, alignment, table size, alignment
  const subsection = Buffer.concat([Buffer.from([1]), uleb128(memInfo.length), memInfo]); // WASM_DYLINK_MEM_INFO
  const payload = Buffer.concat([uleb128(name.length), name, subsection]);
  return Buffer.concat([Buffer.from([0]), uleb128(payload.length), payload]);
}

const wabt = await wabtInit();
let module;
try {
  module = wabt.parseWat(source, fs.readFileSync(source, "utf8"), { simd: true });
  module.validate();
} catch (error) {
  console.error(`build_kernel: ${source}: ${String(error.message || error).split("\n").slice(0, 3).join(" ")}`);
  process.exit(2);
}
const binary = Buffer.from(module.toBinary({}).buffer);
module.destroy();
const header = binary.subarray(0, 8); // magic and version
fs.writeFileSync(target, Buffer.concat([header, dylinkSection(), binary.subarray(8)]));
