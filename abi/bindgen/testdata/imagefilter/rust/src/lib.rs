//! The image-filter plugin of abi/bindgen's end-to-end test, in Rust.

wit_bindgen::generate!({ path: "../wit", world: "image-filter" });

use example::image::log::{log, Level, Span};

struct Filter;

impl Guest for Filter {
    fn apply(img: Vec<u8>, params: Params) -> Result<Vec<u8>, Error> {
        if let Some(label) = &params.label {
            log(Level::Info, &format!("rust: {label}"));
        }
        if img.is_empty() {
            return Err(Error::BadImage("empty image".to_string()));
        }
        if img.len() > 1 << 20 {
            return Err(Error::TooLarge(img.len() as u32));
        }
        if params.brightness == 999 {
            return Err(Error::Unsupported);
        }
        let mut out: Vec<u8> = img
            .iter()
            .map(|&b| {
                let v = (b as i32 + params.brightness).clamp(0, 255) as u8;
                if params.invert { 255 - v } else { v }
            })
            .collect();
        if (params.mode & Mode::MIRROR).bits() != 0 {
            out.reverse();
        }
        Ok(out)
    }

    fn version() -> String {
        let span = Span::new("version"); // dropped at the end: [resource-drop]span
        format!("rust 1 at {} ({})", now_ms(), span.finish())
    }
}

impl exports::example::image::info::Guest for Filter {
    fn describe() -> Vec<String> {
        vec!["rust".to_string(), "brightness".to_string(), "invert".to_string()]
    }
}

export!(Filter);
