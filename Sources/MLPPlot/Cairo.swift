// The Cairo backend: drawing items painted on an image surface (PNG, antialiased,
// `dpi` pixels an inch) or a PDF surface (vector, text as embedded DejaVu fonts),
// text laid out by Pango (any Unicode: Greek, ħ, subscripts); PNG files read back.
import CCairo

/// Text measured and drawn with Pango in DejaVu Sans, sizes in points.
final class TextEngine {
    let surface: OpaquePointer
    let cr: OpaquePointer
    let layout: OpaquePointer

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        cr = cairo_create(surface)
        layout = pango_cairo_create_layout(cr)
        TextEngine.configure(layout)
    }

    deinit {
        g_object_unref(UnsafeMutableRawPointer(layout))
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// Metrics that do not depend on the device: the same layout in PNG, PDF and SVG.
    static func configure(_ layout: OpaquePointer) {
        let ctx = pango_layout_get_context(layout)
        let fo = cairo_font_options_create()
        cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY)
        pango_cairo_context_set_font_options(ctx, fo)
        cairo_font_options_destroy(fo)
        pango_layout_context_changed(layout)
    }

    static func set(_ layout: OpaquePointer, _ runs: [TextRun], _ size: Double) {
        let desc = pango_font_description_from_string("DejaVu Sans")
        pango_font_description_set_absolute_size(desc, size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, desc)
        pango_font_description_free(desc)
        if runs.contains(where: { $0.sup }) {
            var m = ""
            for r in runs { m += r.sup ? "<span rise=\"\(Int(size * 0.45 * Double(PANGO_SCALE)))\" size=\"\(Int(size * 0.7 * Double(PANGO_SCALE)))\">\(xmlEscape(r.text))</span>" : xmlEscape(r.text) }
            pango_layout_set_markup(layout, m, -1)
        } else {
            pango_layout_set_attributes(layout, nil)
            pango_layout_set_text(layout, runs.map(\.text).joined(), -1)
        }
    }

    /// (width, height, baseline from the top) of the text's logical box.
    static func extents(_ layout: OpaquePointer) -> (Double, Double, Double) {
        var ink = PangoRectangle(), logical = PangoRectangle()
        pango_layout_get_extents(layout, &ink, &logical)
        let s = Double(PANGO_SCALE)
        return (Double(logical.width) / s, Double(logical.height) / s, Double(pango_layout_get_baseline(layout)) / s)
    }

    func measure(_ runs: [TextRun], _ size: Double) -> (w: Double, h: Double, baseline: Double) {
        TextEngine.set(layout, runs, size)
        let e = TextEngine.extents(layout)
        return (e.0, e.1, e.2)
    }

    func measure(_ s: String, _ size: Double) -> (w: Double, h: Double, baseline: Double) { measure([TextRun(text: s, sup: false)], size) }
}

/// Collects the bytes Cairo writes to a stream.
final class ByteSink { var bytes: [UInt8] = [] }

let sinkWrite: cairo_write_func_t = { closure, data, length in
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// The PNG file of an image surface.
func pngBytes(_ surface: OpaquePointer) -> [UInt8] {
    let sink = ByteSink()
    let p = Unmanaged.passUnretained(sink).toOpaque()
    _ = cairo_surface_write_to_png_stream(surface, sinkWrite, p)
    return withExtendedLifetime(sink) { sink.bytes }
}

/// An ARGB32 surface of `cols` x `rows` straight-alpha RGBA pixels.
func imageSurface(cols: Int, rows: Int, rgba: [UInt8]) -> OpaquePointer? {
    guard let s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(cols), Int32(rows)) else { return nil }
    cairo_surface_flush(s)
    guard let data = cairo_image_surface_get_data(s) else { return s }
    let stride = Int(cairo_image_surface_get_stride(s))
    for i in 0..<rows {
        let row = (data + i * stride).withMemoryRebound(to: UInt32.self, capacity: cols) { $0 }
        for j in 0..<cols {
            let k = (i * cols + j) * 4
            let a = UInt32(rgba[k + 3])
            func pm(_ c: UInt8) -> UInt32 { (UInt32(c) * a + 127) / 255 }
            row[j] = a << 24 | pm(rgba[k]) << 16 | pm(rgba[k + 1]) << 8 | pm(rgba[k + 2])
        }
    }
    cairo_surface_mark_dirty(s)
    return s
}

/// A PNG of straight-alpha RGBA pixels (opaque ones: RGB), encoded by Cairo's libpng.
public func encodePNG(cols: Int, rows: Int, rgba: [UInt8]) -> [UInt8] {
    guard cols > 0, rows > 0, rgba.count == cols * rows * 4, let s = imageSurface(cols: cols, rows: rows, rgba: rgba) else { return [] }
    defer { cairo_surface_destroy(s) }
    return pngBytes(s)
}

/// A PNG of RGB pixels (3 bytes each, row-major).
public func encodePNG(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
    var rgba = [UInt8](repeating: 255, count: width * height * 4)
    for i in 0..<(width * height) { rgba[4 * i] = rgb[3 * i]; rgba[4 * i + 1] = rgb[3 * i + 1]; rgba[4 * i + 2] = rgb[3 * i + 2] }
    return encodePNG(cols: width, rows: height, rgba: rgba)
}

/// A decoded image: `channels` (3 or 4) values in 0...1 a pixel, row-major from the top.
public struct LoadedImage {
    public var width: Int, height: Int, channels: Int
    public var values: [Double]
}

/// Reads a PNG file (any PNG colour type; grey comes back as RGB) with Cairo.
public func loadPNG(_ path: String) -> Result<LoadedImage, PlotError> {
    guard let s = cairo_image_surface_create_from_png(path) else { return .failure(PlotError("cannot read '\(path)'")) }
    defer { cairo_surface_destroy(s) }
    let st = cairo_surface_status(s)
    guard st == CAIRO_STATUS_SUCCESS else {
        let why = st == CAIRO_STATUS_FILE_NOT_FOUND ? "no such file" : st == CAIRO_STATUS_READ_ERROR ? "not a PNG file or a read error" : String(cString: cairo_status_to_string(st))
        return .failure(PlotError("cannot read '\(path)': \(why)"))
    }
    let w = Int(cairo_image_surface_get_width(s)), h = Int(cairo_image_surface_get_height(s))
    let alpha = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32
    let ch = alpha ? 4 : 3, stride = Int(cairo_image_surface_get_stride(s))
    guard let data = cairo_image_surface_get_data(s) else { return .failure(PlotError("cannot read '\(path)'")) }
    var out = [Double](repeating: 0, count: w * h * ch)
    for i in 0..<h {
        let row = (data + i * stride).withMemoryRebound(to: UInt32.self, capacity: w) { $0 }
        for j in 0..<w {
            let p = row[j], a = alpha ? Double(p >> 24) : 255
            let k = (i * w + j) * ch
            // Cairo premultiplies: undo it (a transparent pixel is black)
            func un(_ c: UInt32) -> Double { a == 0 ? 0 : min(Double(c & 255) / a, 1) }
            out[k] = un(p >> 16); out[k + 1] = un(p >> 8); out[k + 2] = un(p)
            if alpha { out[k + 3] = a / 255 }
        }
    }
    return .success(LoadedImage(width: w, height: h, channels: ch, values: out))
}

public struct PlotError: Error { public let message: String; init(_ m: String) { message = m } }

/// Paints items on a Cairo context whose user space is in points.
struct CairoPainter {
    let cr: OpaquePointer
    /// Device pixels a point (raster output), nil for vector output.
    let raster: Double?
    let surface: OpaquePointer

    func color(_ c: RGBA) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }

    func trace(_ subs: [[Point]], closed: Bool) {
        for sp in subs where !sp.isEmpty {
            cairo_move_to(cr, sp[0].0, sp[0].1)
            for p in sp.dropFirst() { cairo_line_to(cr, p.0, p.1) }
            if closed { cairo_close_path(cr) }
        }
    }

    func stroke(_ c: RGBA, _ width: Double, _ dash: [Double]) {
        color(c)
        cairo_set_line_width(cr, width)
        dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32(dash.count), 0) }
    }

    func paint(_ items: [Item]) {
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        let layout = pango_cairo_create_layout(cr)!
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        TextEngine.configure(layout)
        var clipRect: (Double, Double, Double, Double)?
        for it in items {
            switch it {
            case .clip(let x, let y, let w, let h):
                cairo_reset_clip(cr); cairo_rectangle(cr, x, y, w, h); cairo_clip(cr)
                clipRect = (x, y, w, h)
            case .unclip:
                cairo_reset_clip(cr); clipRect = nil
            case .path(let subs, let closed, let s, let width, let dash, let fill):
                trace(subs, closed: closed)
                if let f = fill {
                    color(f)
                    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
                    if s != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
                }
                if let s { stroke(s, width, dash); cairo_stroke(cr) }
                cairo_new_path(cr)
            case .markers(let pts, let m, let size, let fill, let edge, let ew):
                if let scale = raster, pts.count > 50 {
                    stamp(pts, m, size, fill, edge, ew, scale, clipRect)
                } else {
                    for p in pts { marker(p, m, size, fill, edge, ew) }
                }
            case .text(let x, let y, let runs, let size, let h, let v, let angle, let c):
                TextEngine.set(layout, runs, size)
                let (w, hh, base) = TextEngine.extents(layout)
                cairo_save(cr)
                cairo_translate(cr, x, y)
                if angle != 0 { cairo_rotate(cr, -angle * Double.pi / 180) }
                let dx = h == .left ? 0 : h == .center ? -w / 2 : -w
                let dy = v == .top ? 0 : v == .center ? -hh / 2 : v == .baseline ? -base : -hh
                cairo_move_to(cr, dx, dy)
                color(c)
                pango_cairo_show_layout(cr, layout)
                cairo_restore(cr)
            case .image(let x, let y, let w, let h, let cols, let rows, let rgba):
                guard let img = imageSurface(cols: cols, rows: rows, rgba: rgba) else { continue }
                cairo_save(cr)
                cairo_rectangle(cr, x, y, w, h)
                cairo_clip(cr)
                cairo_translate(cr, x, y)
                cairo_scale(cr, w / Double(cols), h / Double(rows))
                cairo_set_source_surface(cr, img, 0, 0)
                cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
                cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD)
                cairo_paint(cr)
                cairo_restore(cr)
                cairo_surface_destroy(img)
            }
        }
        cairo_reset_clip(cr)
    }

    /// One marker as a path.
    func marker(_ p: Point, _ m: Marker, _ size: Double, _ fill: RGBA?, _ edge: RGBA?, _ ew: Double) {
        if let o = m.outline(size) {
            trace(o.map { $0.map { (p.0 + $0.0, p.1 + $0.1) } }, closed: m.filled)
        } else {
            cairo_new_sub_path(cr)
            cairo_arc(cr, p.0, p.1, m == .point ? size / 4 : size / 2, 0, 2 * Double.pi)
        }
        if m.filled, let f = fill { color(f); if edge != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) } }
        if let e = m.filled ? edge : (edge ?? fill) { stroke(e, ew, []); cairo_stroke(cr) }
        cairo_new_path(cr)
    }

    /// Many markers on an image surface: one marker is rendered once (at 4 x 4 sub-pixel
    /// offsets) and composited ("over") at each point, clipped to the axes.
    func stamp(_ pts: [Point], _ m: Marker, _ size: Double, _ fill: RGBA?, _ edge: RGBA?, _ ew: Double, _ scale: Double, _ clip: (Double, Double, Double, Double)?) {
        let half = Int(((size / 2 + ew) * scale).rounded(.up)) + 2, side = 2 * half + 1
        let sub = 4
        var sprites: [[UInt32]] = []
        for k in 0..<(sub * sub) {
            guard let s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(side), Int32(side)) else { return }
            let c = cairo_create(s)!
            cairo_translate(c, Double(half) + Double(k % sub) / Double(sub), Double(half) + Double(k / sub) / Double(sub))
            cairo_scale(c, scale, scale)
            CairoPainter(cr: c, raster: nil, surface: s).marker((0, 0), m, size, fill, edge, ew)
            cairo_destroy(c)
            cairo_surface_flush(s)
            let stride = Int(cairo_image_surface_get_stride(s)) / 4
            let d = cairo_image_surface_get_data(s)!.withMemoryRebound(to: UInt32.self, capacity: stride * side) { $0 }
            var px = [UInt32](repeating: 0, count: side * side)
            for i in 0..<side { for j in 0..<side { px[i * side + j] = d[i * stride + j] } }
            sprites.append(px)
            cairo_surface_destroy(s)
        }
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return }
        let W = Int(cairo_image_surface_get_width(surface)), H = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface)) / 4
        let dst = data.withMemoryRebound(to: UInt32.self, capacity: stride * H) { $0 }
        var cx0 = 0, cy0 = 0, cx1 = W, cy1 = H
        if let c = clip {
            cx0 = max(0, Int((c.0 * scale).rounded())); cy0 = max(0, Int((c.1 * scale).rounded()))
            cx1 = min(W, Int(((c.0 + c.2) * scale).rounded())); cy1 = min(H, Int(((c.1 + c.3) * scale).rounded()))
        }
        for p in pts {
            let fx = p.0 * scale, fy = p.1 * scale
            guard fx.isFinite, fy.isFinite, fx > -Double(side), fy > -Double(side), fx < Double(W + side), fy < Double(H + side) else { continue }
            let ix = Int(fx.rounded(.down)), iy = Int(fy.rounded(.down))
            let k = min(Int((fx - Double(ix)) * Double(sub)), sub - 1) + sub * min(Int((fy - Double(iy)) * Double(sub)), sub - 1)
            let sp = sprites[k]
            let x0 = ix - half, y0 = iy - half
            for i in max(0, cy0 - y0)..<max(0, min(side, cy1 - y0)) {
                let row = (y0 + i) * stride
                for j in max(0, cx0 - x0)..<max(0, min(side, cx1 - x0)) {
                    let s = sp[i * side + j]
                    let a = s >> 24
                    if a == 0 { continue }
                    if a == 255 { dst[row + x0 + j] = s; continue }
                    let d = dst[row + x0 + j], inv = 255 - a
                    func ch(_ sh: UInt32) -> UInt32 { min(255, ((s >> sh) & 255) + (((d >> sh) & 255) * inv + 127) / 255) << sh }
                    dst[row + x0 + j] = ch(24) | ch(16) | ch(8) | ch(0)
                }
            }
        }
        cairo_surface_mark_dirty(surface)
    }
}

/// The items painted on a white PNG `pxWidth` x `pxHeight` (points scaled by `scale`).
func renderPNG(_ items: [Item], pxWidth: Int, pxHeight: Int, scale: Double) -> [UInt8] {
    guard let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(pxWidth), Int32(pxHeight)) else { return [] }
    defer { cairo_surface_destroy(s) }
    let cr = cairo_create(s)!
    cairo_set_source_rgb(cr, 1, 1, 1)
    cairo_paint(cr)
    cairo_scale(cr, scale, scale)
    CairoPainter(cr: cr, raster: scale, surface: s).paint(items)
    cairo_destroy(cr)
    return pngBytes(s)
}

/// The items as a one-page PDF `width` x `height` points.
func renderPDF(_ items: [Item], width: Double, height: Double, title: String) -> [UInt8] {
    let sink = ByteSink()
    let p = Unmanaged.passUnretained(sink).toOpaque()
    guard let s = cairo_pdf_surface_create_for_stream(sinkWrite, p, width, height) else { return [] }
    if !title.isEmpty { cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title) }
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "mlp")
    let cr = cairo_create(s)!
    cairo_set_source_rgb(cr, 1, 1, 1)
    cairo_paint(cr)
    CairoPainter(cr: cr, raster: nil, surface: s).paint(items)
    cairo_destroy(cr)
    cairo_surface_finish(s)
    cairo_surface_destroy(s)
    return withExtendedLifetime(sink) { sink.bytes }
}
