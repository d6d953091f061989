//! The root module of a Worker that guest-sdk/zig/build.sh builds: it
//! exports the fetch handler of your file (the module "worker").
const bindery = @import("bindery");
const worker = @import("worker");

comptime {
    if (!@hasDecl(worker, "fetch")) {
        @compileError("a Bindery Worker declares pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void");
    }
    bindery.serve(worker.fetch);
}
