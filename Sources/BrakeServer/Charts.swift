/// Server-rendered SVG bar charts for the Reports page: no script, no external assets. Each chart names itself
/// (`<title>`, `<desc>`) for screen readers, and the page shows the same numbers in a table beside it.
enum Charts {
    struct Bar {
        var label: String
        var values: [Int]
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Horizontal bars, one row per label, one bar per series (at most three), scaled to the largest value.
    static func bars(id: String, title: String, series: [String], rows: [Bar], unit: String = "") -> String {
        let colours = ["#0b57d0", "#b3261e", "#7a5900"]
        let rowsShown = Array(rows.prefix(12))
        let maxValue = max(1, rowsShown.flatMap(\.values).max() ?? 1)
        let labelWidth = 180
        let barArea = 360
        let barHeight = 14
        let rowHeight = barHeight * series.count + 10
        let height = 28 + rowHeight * max(1, rowsShown.count)
        let summary = rowsShown.map { r in
            r.label + ": " + zip(series, r.values).map { "\($0.0) \($0.1)\(unit)" }.joined(separator: ", ")
        }.joined(separator: "; ")
        var svg =
            "<svg class=\"chart\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\" viewBox=\"0 0 \(labelWidth + barArea + 60) \(height)\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg +=
            "<title id=\"\(id)-t\">\(escape(title))</title><desc id=\"\(id)-d\">\(escape(summary.isEmpty ? "no data" : summary))</desc>"
        var x = labelWidth
        for (i, s) in series.enumerated() {
            svg += "<rect x=\"\(x)\" y=\"4\" width=\"10\" height=\"10\" fill=\"\(colours[i % 3])\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"13\" font-size=\"12\">\(escape(s))</text>"
            x += 20 + 8 * s.count
        }
        if rowsShown.isEmpty {
            svg += "<text x=\"0\" y=\"40\" font-size=\"13\" fill=\"#5b6570\">No data in this period.</text>"
        }
        for (r, row) in rowsShown.enumerated() {
            let y = 24 + r * rowHeight
            let label = row.label.isEmpty ? "(none)" : row.label
            let shown = label.count > 28 ? String(label.prefix(27)) + "…" : label
            svg +=
                "<text x=\"0\" y=\"\(y + rowHeight / 2 + 2)\" font-size=\"12\"><title>\(escape(label))</title>\(escape(shown))</text>"
            for (i, v) in row.values.prefix(series.count).enumerated() {
                let w = v == 0 ? 0 : max(2, v * barArea / maxValue)
                let by = y + 3 + i * barHeight
                svg +=
                    "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(w)\" height=\"\(barHeight - 2)\" fill=\"\(colours[i % 3])\"/>"
                svg +=
                    "<text x=\"\(labelWidth + w + 4)\" y=\"\(by + barHeight - 4)\" font-size=\"11\">\(v)\(escape(unit))</text>"
            }
        }
        return svg + "</svg>"
    }
}
