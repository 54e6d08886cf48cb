# Filters the xunit runner's output for ./build.sh test: each skipped test's lines (the "[SKIP]" line and its indented
# reason) are held back, and one line per test class with its skip count and first reason is printed before the summary.
# Everything else passes through unchanged, as it comes.
function flush_reason() { if (cls != "" && !(cls in reason)) reason[cls] = first; }
/\[SKIP\]$/ {
    flush_reason()
    name = $1
    sub(/\(.*/, "", name)                 # drop theory arguments
    n = split(name, parts, ".")
    cls = parts[1]; for (i = 2; i < n; i++) cls = cls "." parts[i]
    if (!(cls in count)) order[++classes] = cls
    count[cls]++
    first = ""; inskip = 1
    next
}
inskip && /^      / { line = $0; sub(/^ +/, "", line); if (first == "") first = line; next }
function report(   i, c, short, r) {
    for (i = 1; i <= classes; i++) {
        c = order[i]; short = c; sub(/^RwkvNative\.Tests\./, "", short)
        r = reason[c]; sub(/:$/, "", r)
        printf "  skipped %3d in %s: %s\n", count[c], short, r
    }
    classes = 0
}
{ if (inskip) { flush_reason(); inskip = 0; cls = "" } }
/^=== TEST EXECUTION SUMMARY ===/ { report() }
{ print; fflush() }
END { if (inskip) flush_reason(); report() }
