// The shared frame of the server's pages. Every text that comes from the data goes through `escapeHTML`
// (RLHFFormats), or into the page through the DOM's textContent.

import RLHFFormats

/// The styles shared by every page: readable on a phone (one column under 700 px) and on a desk.
let sharedStyle = """
    *{box-sizing:border-box}
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:12px;max-width:1200px;margin:auto;color:#222;line-height:1.4}
    header{display:flex;flex-wrap:wrap;gap:12px;align-items:baseline;justify-content:space-between;margin-bottom:8px}
    h1{font-size:1.2em;margin:0} h2{font-size:1em;margin:0 0 4px 0;color:#555}
    .text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border-radius:6px;padding:10px;min-height:3em}
    table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
    th{background:#f0f0f0} td.num{text-align:right;font-variant-numeric:tabular-nums}
    nav a{margin-right:12px} .muted{color:#666;font-size:.9em}
    svg{max-width:100%;height:auto}
    """

/// A whole page: `title` (escaped here), the shared styles plus `style`, and `body` (already HTML).
func page(title: String, body: String, style: String = "") -> String {
    """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escapeHTML(title))</title><style>\(sharedStyle)\(style)</style></head>
    <body>\(body)</body></html>
    """
}
