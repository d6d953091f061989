// node:os: what a Worker can say about its machine: Linux on x64, one CPU
// that reports nothing, "/" as home, "/tmp" as the temporary directory,
// no network interfaces.
import { register } from './builtins.js';

export const EOL = '\n';
export const devNull = '/dev/null';
export const constants = Object.freeze({ signals: Object.freeze({}), errno: Object.freeze({}), priority: Object.freeze({}), dlopen: Object.freeze({}), UV_UDP_REUSEADDR: 4 });
export const arch = () => 'x64';
export const machine = () => 'x86_64';
export const platform = () => 'linux';
export const type = () => 'Linux';
export const release = () => '';
export const version = () => '';
export const hostname = () => 'localhost';
export const homedir = () => '/';
export const tmpdir = () => '/tmp';
export const endianness = () => 'LE';
export const cpus = () => [];
export const availableParallelism = () => 1;
export const totalmem = () => 128 * 1024 * 1024;
export const freemem = () => 0;
export const loadavg = () => [0, 0, 0];
export const uptime = () => 0;
export const networkInterfaces = () => ({});
export const userInfo = () => ({ uid: 0, gid: 0, username: 'root', homedir: '/', shell: null });
export const getPriority = () => 0;

/** setPriority is not supported. */
export function setPriority() {
  throw new Error('[bindery] os.setPriority is not supported in a Worker');
}

export default register('os', {
  EOL, devNull, constants, arch, machine, platform, type, release, version, hostname, homedir, tmpdir, endianness,
  cpus, availableParallelism, totalmem, freemem, loadavg, uptime, networkInterfaces, userInfo, getPriority, setPriority,
});
