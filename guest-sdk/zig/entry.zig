//! The root module of a Worker that guest-sdk/zig/build.sh builds: it
//! exports the fetch handler of your file (the module "worker"), and the
//! events of the Durable Object classes it declares in
//! `pub const durable_objects`, and its queue and scheduled handlers
//! (`pub fn queue`, `pub fn scheduled`) when it declares them.
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
    // The handlers' C glue is compiled in only when build.sh saw them.
    const queue = @hasDecl(worker, "queue");
    if (queue != build_options.defines_queue) {
        @compileError("build.sh did not see `pub fn queue` at the start of a line in the root file; declare it there");
    }
    if (queue) bindery.queue.serve(worker.queue);
    const scheduled = @hasDecl(worker, "scheduled");
    if (scheduled != build_options.defines_scheduled) {
        @compileError("build.sh did not see `pub fn scheduled` at the start of a line in the root file; declare it there");
    }
    if (scheduled) bindery.scheduled.serve(worker.scheduled);
}
