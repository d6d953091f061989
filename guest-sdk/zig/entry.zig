//! The root module of a Worker that guest-sdk/zig/build.sh builds: it
//! exports the fetch handler of your file (the module "worker"), and the
//! events of the Durable Object classes it declares in
//! `pub const durable_objects`.
const bindery = @import("bindery");
const worker = @import("worker");
const build_options = @import("build_options");

comptime {
    if (!@hasDecl(worker, "fetch")) {
        @compileError("a Bindery Worker declares pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void");
    }
    bindery.serve(worker.fetch);
    const defines = @hasDecl(worker, "durable_objects");
    if (defines != build_options.defines_objects) {
        // build.sh looks for the declaration in the root file's text.
        @compileError("build.sh did not see `pub const durable_objects` on a line of its own in the root file; declare it there");
    }
    if (defines) bindery.durable.defineClasses(worker.durable_objects);
}
