//! Prints, one line per call, what the host returns for calls whose
//! arguments and results cover the WIT's shapes: records with options,
//! lists of records, list<option<record>>, list<tuple<string,string>>,
//! option<list<u8>>, u64 fields, variants with payloads (errors, bodies),
//! own/borrow handles, header fields with non-UTF-8 bytes, and D1's value
//! variant (s64 extremes, f64, text, blob, null) in list<list<value>>.

use std::fmt::Write as _;
use std::io::{Read, Write};

use bindery::d1::D1Type;
use bindery::r2::{self, Conditional, GetOptions, PutOptions, Range};
use bindery::{kv, Env, Error, Request, Response, Result};

const HELLO_MD5: [u8; 16] = [0x5d, 0x41, 0x40, 0x2a, 0xbc, 0x4b, 0x2a, 0x76, 0xb9, 0x71, 0x9d, 0x91, 0x10, 0x17, 0xc5, 0x92];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn kv_check(env: &Env, out: &mut String) -> Result<()> {
    let s = env.kv("STORE")?;
    s.put_with("m1", "v1", &kv::PutOptions { expiration_ttl: Some(3600), metadata: Some(r#"{"a":1}"#.into()), ..Default::default() })?;
    s.put("m2", [0u8, 255])?;
    let m = s.get_with_metadata("m1")?.unwrap();
    writeln!(out, "gwm value={:?} metadata={:?}", m.value, m.metadata).unwrap();
    let many = s.get_many(&["m1", "nope", "m2"])?;
    let many: Vec<_> = many.iter().map(|v| v.as_ref().map(|v| (v.value.clone(), v.metadata.clone()))).collect();
    writeln!(out, "many {many:?}").unwrap();
    let page = s.list(&kv::ListOptions { prefix: Some("m".into()), limit: Some(1), cursor: None })?;
    let k = &page.keys[0];
    writeln!(out, "list1 n={} name={} exp_some={} meta={:?} complete={} cursor_some={}", page.keys.len(), k.name, k.expiration.is_some(), k.metadata, page.list_complete, page.cursor.is_some()).unwrap();
    let page2 = s.list(&kv::ListOptions { prefix: Some("m".into()), limit: Some(1), cursor: page.cursor.clone() })?;
    writeln!(out, "list2 name={} exp={:?} complete={}", page2.keys[0].name, page2.keys[0].expiration, page2.list_complete).unwrap();
    match s.put_with("m3", "x", &kv::PutOptions { expiration_ttl: Some(1), ..Default::default() }) {
        Err(Error::InvalidArgument(m)) => writeln!(out, "ttl invalid-argument {m}").unwrap(),
        r => writeln!(out, "ttl UNEXPECTED {r:?}").unwrap(),
    }
    match env.kv("NOPE") {
        Err(Error::NoSuchBinding(m)) => writeln!(out, "kv no-such-namespace {m}").unwrap(),
        r => writeln!(out, "kv UNEXPECTED {r:?}").unwrap(),
    }
    Ok(())
}

fn r2_check(env: &Env, out: &mut String) -> Result<()> {
    let b = env.r2("FILES")?;
    let mut hm = r2::http_metadata();
    hm.content_type = Some("text/x-abi".into());
    hm.cache_control = Some("max-age=5".into());
    hm.cache_expiry = Some(1_700_000_000_000);
    let opts = PutOptions {
        http_metadata: Some(hm),
        custom_metadata: vec![("owner".into(), "ann".into()), ("k2".into(), "v2".into())],
        md5: Some(HELLO_MD5.to_vec()),
        ..Default::default()
    };
    let o = b.put_with("o", "hello", &opts)?;
    writeln!(out, "put key={} size={} etag={} uploaded_pos={} class={}", o.key, o.size, o.etag, o.uploaded > 0, o.storage_class).unwrap();
    let h = b.head("o")?.unwrap();
    let mut cm = h.custom_metadata.clone();
    cm.sort();
    writeln!(out, "head ct={:?} cc={:?} exp={:?} cm={:?} md5={} range={:?} version_len={}", h.http_metadata.content_type, h.http_metadata.cache_control, h.http_metadata.cache_expiry, cm, h.checksums.md5.as_deref().map(hex).unwrap_or_default(), h.range, h.version.len()).unwrap();
    let g = b.get_with("o", &GetOptions { range: Some(Range { offset: Some(1), length: Some(3), suffix: None }), ..Default::default() })?.unwrap();
    let r = g.object.range.clone().unwrap();
    let mut body = String::new();
    g.into_body().read_to_string(&mut body)?;
    writeln!(out, "range off={:?} len={:?} body={body}", r.offset, r.length).unwrap();
    let g = b.get_with("o", &GetOptions { only_if: Some(Conditional { etag_does_not_match: vec![o.etag.clone()], ..Default::default() }), range: None })?.unwrap();
    writeln!(out, "onlyif body_none={} etag={}", g.body.is_none(), g.object.etag).unwrap();
    match b.put_with("o", "x", &PutOptions { only_if: Some(Conditional { etag_matches: vec!["nope".into()], ..Default::default() }), ..Default::default() }) {
        Err(Error::PreconditionFailed) => writeln!(out, "put precondition-failed").unwrap(),
        r => writeln!(out, "put UNEXPECTED {r:?}").unwrap(),
    }
    match b.put_with("bad", "x", &PutOptions { md5: Some(vec![0; 16]), ..Default::default() }) {
        Err(Error::BadDigest(_)) => writeln!(out, "put bad-digest").unwrap(),
        r => writeln!(out, "put UNEXPECTED {r:?}").unwrap(),
    }
    match b.get_with("o", &GetOptions { range: Some(Range { offset: Some(100), length: None, suffix: None }), ..Default::default() }) {
        Err(Error::InvalidRange(_)) => writeln!(out, "get invalid-range").unwrap(),
        r => writeln!(out, "get UNEXPECTED {:?}", r.map(|o| o.map(|o| o.object))).unwrap(),
    }
    let mut w = b.writer("d/w", &PutOptions::default())?;
    for _ in 0..100_000 {
        w.write_all(b"abc")?;
    }
    let wo = w.finish()?;
    writeln!(out, "writer size={}", wo.size).unwrap();
    let l = b.list(&r2::ListOptions { delimiter: Some("/".into()), include_custom_metadata: true, ..Default::default() })?;
    let keys: Vec<_> = l.objects.iter().map(|o| (o.key.clone(), o.custom_metadata.len())).collect();
    writeln!(out, "list keys={keys:?} prefixes={:?} truncated={}", l.delimited_prefixes, l.truncated).unwrap();
    let u = b.create_multipart_upload("mp", &r2::MultipartOptions::default())?;
    let p1 = u.upload_part(1, vec![b'a'; 5 << 20])?;
    let p2 = b.resume_multipart_upload("mp", &u.upload_id()).upload_part(2, "tail")?;
    let mo = u.complete(&[p1.clone(), p2])?;
    writeln!(out, "multipart key={} part1={} size={} etag_suffix={}", u.key(), p1.part_number, mo.size, mo.etag.rsplit('-').next().unwrap()).unwrap();
    b.delete_many(&["o", "nope"])?;
    writeln!(out, "deleted head_none={}", b.head("o")?.is_none()).unwrap();
    match b.put("", "x") {
        Err(Error::InvalidKey(_)) => writeln!(out, "put invalid-key").unwrap(),
        r => writeln!(out, "put UNEXPECTED {r:?}").unwrap(),
    }
    Ok(())
}

fn d1_check(env: &Env, out: &mut String) -> Result<()> {
    let db = env.d1("DB")?;
    let e = db.exec("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, z); CREATE TABLE w (x)")?;
    writeln!(out, "exec count={}", e.count).unwrap();
    let values = [D1Type::Integer(i64::MIN), (-0.5).into(), "\u{e9}\u{1F600}".into(), vec![0u8, 255].into(), D1Type::Null];
    let r = db.prepare("INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5)").bind(&values).run()?;
    let m = r.meta();
    writeln!(out, "insert changes={} last_row_id={} rows_read={} rows_written={} changed_db={} size_pos={}", m.changes, m.last_row_id, m.rows_read, m.rows_written, m.changed_db, m.size_after > 0).unwrap();
    let r = db.prepare("SELECT i, r, t, b, z, ?1 AS big, ?2 AS big FROM v").bind([i64::MAX, 1 << 53]).all()?;
    writeln!(out, "select columns={:?} rows={:?}", r.columns(), r.rows()).unwrap();
    let rs = db.batch(vec![db.prepare("INSERT INTO w VALUES (?)").bind([7]), db.prepare("SELECT x, 2.5 AS c FROM w")])?;
    let rs: Vec<_> = rs.iter().map(|r| (r.meta().changes, r.columns(), r.rows())).collect();
    writeln!(out, "batch {rs:?}").unwrap();
    let s = db.with_session(None)?;
    let before = s.get_bookmark();
    let n = s.prepare("SELECT count(*) AS n FROM w").first::<i64>(Some("n"))?;
    writeln!(out, "session before={before:?} n={n:?} after_len={:?}", s.get_bookmark().map(|b| b.len())).unwrap();
    let errs = [
        db.prepare("SELECT * FROM nope").all().err(),
        db.prepare("ATTACH DATABASE 'x.db' AS x").run().err(),
        db.prepare(format!("SELECT {}", vec!["?"; 101].join(","))).bind(0..101).all().err(),
        db.prepare("SELECT :x").all().err(),
        db.with_session(Some("bogus")).err(),
        env.d1("NOPE").err(),
    ];
    for e in errs {
        writeln!(out, "error {e:?}").unwrap();
    }
    // The SDK folds refused into Error::Sql: the WIT's own case, unwrapped.
    use bindery::wit::bindery::d1::database as wit;
    let raw = wit::Database::open("DB").map_err(Error::from)?;
    let r = raw.query(&wit::Statement { sql: "ATTACH DATABASE 'x.db' AS x".into(), params: vec![] });
    writeln!(out, "wit error {:?}", r.err()).unwrap();
    Ok(())
}

fn fetch(mut req: Request, env: &Env) -> Result<Response> {
    let mut out = String::new();
    let path = req.path().into_owned();
    match path.as_str() {
        "/kv" => kv_check(env, &mut out)?,
        "/r2" => r2_check(env, &mut out)?,
        "/d1" => d1_check(env, &mut out)?,
        "/vars" => {
            for n in env.var_names() {
                writeln!(out, "{n}={:?}", env.get(&n)).unwrap();
            }
        }
        "/headers" => {
            for (k, v) in req.headers().iter().filter(|(k, _)| k.starts_with("x-")) {
                writeln!(out, "{k}={}", hex(v)).unwrap();
            }
            let body = req.text()?;
            writeln!(out, "query={:?} param={:?} body={body}", req.query(), req.query_param("b c")).unwrap();
            return Ok(Response::text(out).with_status(299).with_header("x-raw", vec![0xff, b' ', b'a']).with_header("x-two", "1"));
        }
        // The host refuses a NUL in a header value: the SDK answers 500 with why.
        "/badheader" => return Ok(Response::text("never sent").with_header("x-bad", vec![b'a', 0, b'b'])),
        _ => return Err(Error::status(404, "no such check")),
    }
    Ok(Response::text(out))
}

bindery::serve!(fetch);
