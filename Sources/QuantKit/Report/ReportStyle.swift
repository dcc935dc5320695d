/// The inline stylesheet of `report.html`: system font stacks only (no web fonts), tabular figures in tables,
/// Okabe–Ito colours matching ``ReportSVG``, and a print-friendly single column.
enum ReportStyle {
    static let css = """
        :root{--ink:#1f2328;--muted:#5b636e;--line:#d9dce1;--bg:#f6f7f9;--card:#fff;--accent:#0072B2}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",\
        Roboto,"Noto Sans","DejaVu Sans",sans-serif}
        main{max-width:1080px;margin:0 auto;padding:28px 24px 48px}
        header{border-bottom:3px solid var(--accent);margin-bottom:8px;padding-bottom:10px}
        h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
        h2{font-size:19px;margin:30px 0 10px}
        h3{font-size:15px;margin:18px 0 6px;color:var(--muted)}
        p{margin:6px 0}
        .sub,.muted,.legend{color:var(--muted);font-size:13.5px}
        code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,monospace;background:#eef0f3;padding:1px 4px;\
        border-radius:3px}
        section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:4px 20px 16px;\
        margin:18px 0}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0;font-size:14px}
        th,td{padding:6px 9px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}
        thead th{font-weight:600;color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.03em;\
        white-space:normal;vertical-align:bottom}
        .scroll{overflow-x:auto}
        tbody th{font-weight:600}
        table.summary{width:100%}
        tr.reference{background:#f3f4f6}
        tr.best{background:#e6f2ea}
        table.compact td:nth-child(4),table.compact td:last-child{white-space:normal;text-align:left}
        ul.configs{margin:6px 0 4px;padding-left:20px;color:var(--muted);font-size:13.5px}
        .row{display:flex;flex-wrap:wrap;gap:16px}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
        figure.card{margin:8px 0;padding:10px 12px;border:1px solid var(--line);border-radius:6px;background:#fff}
        figcaption{font-size:13.5px;margin-bottom:6px;overflow-wrap:anywhere}
        .tag{font-size:11.5px;padding:1px 7px;border-radius:9px;color:#fff;vertical-align:1px}
        .tag.weight{background:#0072B2}.tag.activation{background:#009E73}
        .swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 4px 0 10px;vertical-align:-1px}
        .swatch.poor{background:#D55E00}.swatch.fair{background:#E69F00}.swatch.good{background:#0072B2}
        svg.chart{display:block;max-width:100%;height:auto}
        svg .label{font-size:12px;fill:#1f2328}
        svg .value{font-size:11.5px;fill:#5b636e;font-variant-numeric:tabular-nums}
        svg .axis{font-size:11px;fill:#5b636e}
        svg g:hover rect{opacity:.8}
        details{margin:8px 0}
        summary{cursor:pointer;padding:4px 0}
        footer{color:var(--muted);font-size:12.5px;margin-top:26px;text-align:center}
        @media print{body{background:#fff}section{border:none;padding:0}}
        """
}
