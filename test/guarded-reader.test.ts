/**
 * The one guarded reader (src/node/files.ts) and every loader that goes
 * through it: devices, FIFOs and folders refused without a byte read (a
 * FIFO with no writer would block a plain read forever), sizes checked
 * before reading, and every I/O error typed and naming the file.
 */
import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Dense, Sequential, TfjsFormatError } from "../src/index.js";
import {
  FileReadError,
  loadCsv,
  loadIdx,
  loadMnistCsv,
  loadTfjs,
  readChunks,
  readFileGuarded,
  readHead,
  saveTfjs,
} from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "tinymlp-guard-"));
const fifo = join(dir, "fifo");
execFileSync("mkfifo", [fifo]);
const spec = { where: "test", what: "a test file", maxBytes: 100 };

function thrown(f: () => unknown): FileReadError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FileReadError);
    return e as FileReadError;
  }
  throw new Error("did not throw");
}

describe("readFileGuarded", () => {
  it("reads a regular file, and one through a symbolic link", () => {
    const p = join(dir, "ok.bin");
    writeFileSync(p, Uint8Array.from([1, 2, 3]));
    symlinkSync(p, join(dir, "link.bin"));
    expect(Array.from(readFileGuarded(p, spec))).toEqual([1, 2, 3]);
    expect(Array.from(readFileGuarded(join(dir, "link.bin"), spec))).toEqual([1, 2, 3]);
    expect(Array.from(readHead(p, 2, spec))).toEqual([1, 2]);
    expect(Array.from(readHead(p, 12, spec))).toEqual([1, 2, 3]);
  });

  it("refuses devices, FIFOs, folders and missing files by kind, naming the file and what was wanted", () => {
    expect(thrown(() => readFileGuarded("/dev/zero", spec)).message).toBe(
      "test: '/dev/zero' is a device, not a test file",
    );
    expect(thrown(() => readFileGuarded(fifo, spec)).message).toBe(`test: '${fifo}' is a FIFO, not a test file`);
    expect(thrown(() => readFileGuarded(dir, spec)).message).toBe(`test: '${dir}' is a folder, not a test file`);
    const missing = thrown(() => readFileGuarded(join(dir, "nope"), spec));
    expect(missing.message).toBe(`test: cannot read '${join(dir, "nope")}' (a test file): no such file`);
    expect([missing.code, missing.path]).toEqual(["ENOENT", join(dir, "nope")]);
    expect(thrown(() => readFileGuarded("", spec)).message).toBe('test: the path must be a non-empty string, got ""');
  });

  it("checks the size before reading: a 3 GB sparse file is refused at once", () => {
    const big = join(dir, "big.bin");
    const fd = openSync(big, "w");
    ftruncateSync(fd, 3e9);
    closeSync(fd);
    expect(thrown(() => readFileGuarded(big, spec)).message).toBe(
      `test: '${big}' is 3000000000 bytes, more than the 100 bytes a test file may have here`,
    );
    const at101 = join(dir, "101.bin");
    writeFileSync(at101, new Uint8Array(101));
    expect(() => readFileGuarded(at101, spec)).toThrow(/is 101 bytes, more than the 100 bytes/);
    writeFileSync(at101, new Uint8Array(100)); // the bound is inclusive
    expect(readFileGuarded(at101, spec)).toHaveLength(100);
  });

  it("streams in chunks of the size asked, and refuses what the whole-file reader refuses", () => {
    const p = join(dir, "chunks.bin");
    writeFileSync(
      p,
      Uint8Array.from({ length: 10 }, (_, i) => i),
    );
    const seen: number[][] = [];
    for (const c of readChunks(p, 4, spec)) seen.push(Array.from(c)); // one buffer, reused: copy each chunk as it comes
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(() => [...readChunks(fifo, 4, spec)]).toThrow(`test: '${fifo}' is a FIFO, not a test file`);
  });
});

describe("every loader reads through it", () => {
  it("loadIdx, loadCsv, loadMnistCsv and loadTfjs refuse a FIFO, a folder and a missing file, typed", () => {
    const tfjsDir = join(dir, "tfjs-fifo");
    mkdirSync(tfjsDir);
    execFileSync("mkfifo", [join(tfjsDir, "model.json")]);
    const cases: [string, () => unknown, string][] = [
      ["loadIdx", () => loadIdx(fifo), `loadIdx: '${fifo}' is a FIFO, not an IDX file`],
      ["loadCsv", () => loadCsv(fifo), `loadCsv: '${fifo}' is a FIFO, not a CSV file`],
      ["loadMnistCsv", () => loadMnistCsv(dir), `loadCsv: '${dir}' is a folder, not a CSV file`],
      [
        "loadTfjs",
        () => loadTfjs(tfjsDir),
        `loadTfjs: '${join(tfjsDir, "model.json")}' is a FIFO, not a TF.js model.json`,
      ],
      [
        "loadIdx",
        () => loadIdx(join(dir, "none")),
        `loadIdx: cannot read '${join(dir, "none")}' (an IDX file): no such file`,
      ],
    ];
    for (const [, f, message] of cases) expect(thrown(f).message).toBe(message);
  });

  it("loadTfjs: the weight files' sizes are checked against the manifest before any is read; model.json is parsed bounded", () => {
    const m = new Sequential({ inputShape: [3], seed: 1, backend: "js" });
    m.add(new Dense({ units: 2 }));
    const out = join(dir, "tfjs");
    saveTfjs(m, out);
    expect(Array.from(loadTfjs(out).params()[0]?.value.data ?? [])).toEqual(
      Array.from(m.params()[0]?.value.data ?? []),
    );
    // a weight file 4 bytes longer than the manifest's 3·2 + 2 float32 values
    writeFileSync(join(out, "weights.bin"), new Uint8Array(36));
    expect(() => loadTfjs(out)).toThrow(TfjsFormatError);
    expect(() => loadTfjs(out)).toThrow("loadTfjs: the manifest's weights take 32 bytes, its 1 weight file(s) hold 36");
    // a weight file that is a FIFO: refused by kind, never opened for reading
    const fifoDir = join(dir, "tfjs-weights-fifo");
    saveTfjs(m, fifoDir);
    execFileSync("rm", [join(fifoDir, "weights.bin")]);
    execFileSync("mkfifo", [join(fifoDir, "weights.bin")]);
    expect(thrown(() => loadTfjs(fifoDir)).message).toBe(
      `loadTfjs: '${join(fifoDir, "weights.bin")}' is a FIFO, not a TF.js weight file`,
    );
    // 100,000 nested arrays: refused by the bounded parse, before JSON.parse builds them
    const deep = join(dir, "deep.json");
    writeFileSync(deep, `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    expect(() => loadTfjs(deep)).toThrow(TfjsFormatError);
    expect(() => loadTfjs(deep)).toThrow(`loadTfjs: '${deep}' nesting deeper than 32 levels (at byte 36)`);
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{nope");
    expect(() => loadTfjs(notJson)).toThrow(/^loadTfjs: '.*bad\.json' not JSON: /);
  });
});
