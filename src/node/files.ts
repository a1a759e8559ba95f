/**
 * Files: the one guarded reader every file the library reads goes through,
 * and the atomic writer every file it writes goes through.
 *
 * The reader looks before it reads: it stats the path and accepts only a
 * regular file (or a link to one), so a device (`/dev/zero`), a FIFO or a
 * folder is refused without a byte read; it checks the size against what
 * the caller expects before allocating; it reads in bounded chunks; and
 * every I/O error comes out as a {@link FileReadError} naming the file and
 * what was wanted of it.
 */
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { TinyMlpError } from "../errors.js";
import { show } from "../options.js";

/**
 * A file could not be read: missing, not a regular file, larger than its
 * reader allows, or an I/O error. The message names the reader, the file and
 * what was wanted; `code` is the system's error code when there was one
 * (`"ENOENT"` …).
 * @example
 * ```ts
 * try { load("missing.tmlp"); } catch (e) { if (e instanceof FileReadError) console.log(e.path, e.code); }
 * ```
 */
export class FileReadError extends TinyMlpError {
  constructor(
    message: string,
    /** The path as given. */
    readonly path: string,
    /** The system's error code (`"ENOENT"`, `"EACCES"` …), or null. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** What a reader wants of a file. */
export interface ReadSpec {
  /** The function reading, for messages (`"load"`, `"loadCsv"` …). */
  where: string;
  /** What the file should be, for messages (`"a tinymlp model"`, `"an IDX file"` …). */
  what: string;
  /** The most bytes the caller accepts; a larger file is refused before reading. */
  maxBytes: number;
}

/** The largest file the readers take whole: a Node Buffer's limit. */
export const MAX_WHOLE_FILE = 2147483647; // 2^31 − 1

/** Bytes read per system call. */
const CHUNK = 1 << 24;

function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function ioError(spec: ReadSpec, path: string, e: unknown): FileReadError {
  if (e instanceof FileReadError) return e;
  const code = (e as NodeJS.ErrnoException)?.code ?? null;
  const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error)?.message;
  return new FileReadError(`${spec.where}: cannot read '${path}' (${spec.what}): ${why}`, path, code);
}

/**
 * Stats `path` and returns its size, refusing anything but a regular file
 * (a symbolic link is followed) and a file larger than `spec.maxBytes`.
 * @throws FileReadError naming the file and what was wrong
 * @example
 * ```ts
 * const size = statFile("m.tmlp", { where: "load", what: "a tinymlp model", maxBytes: MAX_WHOLE_FILE });
 * ```
 */
export function statFile(path: string, spec: ReadSpec): number {
  if (typeof path !== "string" || path === "") {
    throw new FileReadError(`${spec.where}: the path must be a non-empty string, got ${show(path)}`, String(path));
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw ioError(spec, path, e);
  }
  if (!st.isFile()) {
    throw new FileReadError(`${spec.where}: '${path}' is ${kindOf(st)}, not ${spec.what}`, path);
  }
  if (st.size > spec.maxBytes) {
    throw new FileReadError(
      `${spec.where}: '${path}' is ${st.size} bytes, more than the ${spec.maxBytes} bytes ${spec.what} may have here`,
      path,
    );
  }
  return st.size;
}

/**
 * Reads a whole file through the guard ({@link statFile}), in bounded
 * chunks. A file that grows while it is read is read up to the size it had;
 * one that shrinks is an error.
 * @throws FileReadError naming the file and what was wrong
 * @example
 * ```ts
 * const bytes = readFileGuarded("t10k-labels-idx1-ubyte", { where: "loadIdx", what: "an IDX file", maxBytes: MAX_WHOLE_FILE });
 * ```
 */
export function readFileGuarded(path: string, spec: ReadSpec): Uint8Array {
  const size = statFile(path, spec);
  return readRange(path, spec, size);
}

/**
 * The first `n` bytes of a file (fewer if it is shorter), through the guard:
 * for telling a file's format by its start without reading all of it.
 * @example
 * ```ts
 * const magic = readHead("m.tmlp", 12, { where: "load", what: "a tinymlp model", maxBytes: MAX_WHOLE_FILE });
 * ```
 */
export function readHead(path: string, n: number, spec: ReadSpec): Uint8Array {
  const size = statFile(path, spec);
  return readRange(path, spec, Math.min(n, size));
}

function readRange(path: string, spec: ReadSpec, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let fd = -1;
  try {
    fd = openSync(path, "r");
    // the path may have changed between the stat and the open: check what was opened
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(`${spec.where}: '${path}' is ${kindOf(st)}, not ${spec.what}`, path);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, Math.min(CHUNK, size - off), off);
      if (n === 0) {
        throw new FileReadError(
          `${spec.where}: '${path}' (${spec.what}) shrank while it was read (${off} of ${size} bytes)`,
          path,
        );
      }
      off += n;
    }
  } catch (e) {
    throw ioError(spec, path, e);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return out;
}

/**
 * Reads a file through the guard a chunk at a time (`chunkBytes` each, one
 * buffer reused), for parsers that stream (CSV).
 * @example
 * ```ts
 * for (const chunk of readChunks("iris.csv", 1 << 20, spec)) parser.push(chunk);
 * ```
 */
export function* readChunks(path: string, chunkBytes: number, spec: ReadSpec): Generator<Uint8Array> {
  statFile(path, spec);
  let fd = -1;
  try {
    fd = openSync(path, "r");
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(`${spec.where}: '${path}' is ${kindOf(st)}, not ${spec.what}`, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    throw ioError(spec, path, e);
  }
  const buf = new Uint8Array(chunkBytes);
  let total = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw ioError(spec, path, e);
      }
      if (n === 0) return;
      total += n;
      if (total > spec.maxBytes) {
        throw new FileReadError(
          `${spec.where}: '${path}' grew past the ${spec.maxBytes} bytes ${spec.what} may have here`,
          path,
        );
      }
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes bytes to `path` atomically: to a temporary file in the same folder,
 * flushed to disk, then renamed over the target. A write that fails or is
 * killed midway leaves the previous file as it was.
 * - The replaced file keeps its permission bits (a `0600` file stays `0600`).
 * - A symbolic link is written through: its target is replaced, the link stays.
 * - Temporary names stay short (a 255-byte file name can be saved), and the
 *   temporaries of earlier writers that died (their process is gone) are
 *   removed; a live writer's are left alone.
 * @throws TinyMlpError naming the file; the previous file is unchanged
 * @example
 * ```ts
 * writeFileAtomic("model.tmlp", serialize(model));
 * ```
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  let target = path;
  let mode: number | null = null;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch {
    // no file there yet (or a dangling link: written as a new file at the link's path)
  }
  const dir = dirname(target);
  // the base name's first 40 characters (≤ 160 bytes in UTF-8) keep the temp name under 255 bytes
  const stem = `.${[...basename(target)].slice(0, 40).join("")}.tmlp-tmp.`;
  removeStaleTemps(dir, stem);
  // unique without randomness: the process id, the time (a reused pid), this process's counter
  const tmp = join(dir, `${stem}${process.pid}.${Date.now().toString(36)}.${(tempCounter++).toString(36)}`);
  let fd = -1;
  try {
    fd = openSync(tmp, "wx");
    if (mode !== null) fchmodSync(fd, mode);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
  } catch (e) {
    try {
      if (fd >= 0) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      // the cleanup's own failure must not hide the real error
    }
    throw new TinyMlpError(
      `save: could not write '${path}' (the previous file, if any, is unchanged): ${(e as Error).message}`,
    );
  }
  try {
    // make the rename itself durable
    const dfd = openSync(dir, "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // some platforms cannot fsync a folder; the data itself is already flushed
  }
}

let tempCounter = 0;

/** Removes `dir/<stem><pid>.*` temporaries whose writer process no longer exists. */
function removeStaleTemps(dir: string, stem: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(stem)) continue;
    const pid = Number(name.slice(stem.length).split(".")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0); // signal 0: only asks whether the process exists
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === "EPERM"; // exists, someone else's
    }
    if (!alive) {
      try {
        rmSync(join(dir, name), { force: true });
      } catch {
        // not ours to fight over
      }
    }
  }
}
