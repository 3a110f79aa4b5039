//! The pay link as a QR code image, for the chat.
//!
//! `qrcode` computes the module matrix (error correction level M, the version the data needs);
//! `png` writes it as an 8-bit greyscale PNG: [`MODULE_PX`] pixels per module and a
//! [`QUIET_ZONE`]-module white border, which the QR standard asks for and scanners need. A
//! typical short link (version 3–4) gives an image of about 300–400 pixels a side, a few KB.

/// Pixels per QR module.
pub const MODULE_PX: usize = 8;
/// White modules around the code on each side.
pub const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The data does not fit in a QR code.
    #[error("cannot encode the QR code: {0}")]
    Encode(String),
    #[error("cannot write the QR PNG: {0}")]
    Png(String),
}

/// Renders `data` (a URL) as a QR code PNG.
pub fn qr_png(data: &str) -> Result<Vec<u8>, QrError> {
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| QrError::Encode(e.to_string()))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_ZONE;
    let side = side_modules * MODULE_PX;

    let mut pixels = vec![0xFFu8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
        for y in my * MODULE_PX..(my + 1) * MODULE_PX {
            pixels[y * side + mx * MODULE_PX..y * side + (mx + 1) * MODULE_PX].fill(0);
        }
    }

    let side_u32 = u32::try_from(side).map_err(|e| QrError::Png(e.to_string()))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| QrError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (usize, usize, String) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let (w, h) = (info.width as usize, info.height as usize);
        let luma = &buf[..info.buffer_size()];
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        let (_meta, content) = grids[0].decode().expect("QR decodes");
        (w, h, content)
    }

    #[test]
    fn decodes_to_exactly_the_pay_link() {
        for link in [
            "https://chatdrop.example/p/Zx8kQ2mWv4",
            "http://127.0.0.1:8787/p/3f9a1c0b7d2e4a6f8b1c3d5e7f9a1b2c",
            "https://pay.example.com/p/a-much-longer-token-with-more-characters-0123456789abcdefghijklmnopqrstuvwxyz",
        ] {
            let png_bytes = qr_png(link).unwrap();
            assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
            let (w, h, content) = decode(&png_bytes);
            assert_eq!(content, link);
            assert_eq!(w, h);
            assert_eq!(w % MODULE_PX, 0);
        }
    }

    #[test]
    fn has_a_white_quiet_zone_and_sensible_size() {
        let link = "https://chatdrop.example/p/Zx8kQ2mWv4";
        let png_bytes = qr_png(link).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes[..]));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let w = info.width as usize;
        let border = QUIET_ZONE * MODULE_PX;
        for y in 0..w {
            for x in 0..w {
                if x < border || y < border || x >= w - border || y >= w - border {
                    assert_eq!(buf[y * w + x], 0xFF, "quiet zone at {x},{y}");
                }
            }
        }
        // The top-left finder pattern starts right inside the quiet zone.
        assert_eq!(buf[border * w + border], 0);
        assert!((200..=600).contains(&w), "side {w}px");
        assert!(png_bytes.len() < 8 * 1024, "{} bytes", png_bytes.len());
    }

    #[test]
    fn refuses_data_too_long_for_a_qr_code() {
        let long = "x".repeat(8000);
        assert!(matches!(qr_png(&long), Err(QrError::Encode(_))));
    }
}
