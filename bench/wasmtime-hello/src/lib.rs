//! GET /hello -> 200 "hello" (any other path: 404), as a wasi:http/proxy
//! component for `wasmtime serve`: the peer row of bench/run-http.sh.
use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

wasi::http::proxy::export!(Hello);

struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let hello = request.path_with_query().as_deref() == Some("/hello");
        let headers = Fields::from_list(&[(
            "content-type".to_string(),
            b"text/plain; charset=utf-8".to_vec(),
        )])
        .unwrap();
        let resp = OutgoingResponse::new(headers);
        if !hello {
            resp.set_status_code(404).unwrap();
        }
        let body = resp.body().unwrap();
        ResponseOutparam::set(response_out, Ok(resp));
        let out = body.write().unwrap();
        out.blocking_write_and_flush(if hello { b"hello" } else { b"not found\n" })
            .unwrap();
        drop(out);
        OutgoingBody::finish(body, None).unwrap();
    }
}
