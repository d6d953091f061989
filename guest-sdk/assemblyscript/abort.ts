// The Worker's abort (asc --use abort=binderyAbort) and log: both write to
// WASI stdout/stderr, which the host logs, so the module imports nothing
// but the WIT interfaces and wasi_snapshot_preview1.

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: usize, iovsLen: i32, nwritten: usize): i32;

const iov = memory.data(16, 4);

/** write writes s and a newline to fd 1 (stdout) or 2 (stderr). */
export function writeLine(fd: i32, s: string): void {
  const b = String.UTF8.encode(s + "\n");
  store<usize>(iov, changetype<usize>(b));
  store<usize>(iov + 4, <usize>b.byteLength);
  fd_write(fd, iov, 1, iov + 8);
}

/**
 * binderyAbort replaces AssemblyScript's abort (failed assert, throw,
 * out-of-bounds access): it writes the message to stderr and traps, so the
 * host answers this request 500, logs it once (the trap, with the held
 * stderr) and replaces the instance. It cannot fail the request through
 * response-outparam.fail and recover instead: asc follows every call to
 * abort with unreachable, so abort must not return, and the host logs a
 * trap as a record of its own, not a reason passed to fail before it.
 * Use Response.fail to fail a request and keep the instance.
 */
// @ts-ignore: decorator
@global
export function binderyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  writeLine(2, "abort: " + (message != null ? message : "") + " at " + (fileName != null ? fileName : "?") + ":" + line.toString() + ":" + column.toString());
  unreachable();
}
