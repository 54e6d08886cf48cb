// Renders the /docs page from the OpenAPI document's JSON: one HTML file with inline CSS, no script, nothing external.
using System.Net;
using System.Text;
using System.Text.Json;

namespace RwkvNative.Server.OpenApi;

internal static class DocsPage
{
    private static readonly string[] Methods = ["get", "post", "put", "delete", "patch", "options"];

    /// <summary>The page of an OpenAPI 3.x document (<paramref name="root"/>): operations by tag, then every schema.</summary>
    public static string Render(JsonElement root)
    {
        var schemas = root.TryGetProperty("components", out var comp) && comp.TryGetProperty("schemas", out var s) ? s : default;
        var info = root.GetProperty("info");
        var ops = new List<(string Tag, string Method, string Path, JsonElement Op)>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
            foreach (var m in Methods)
                if (path.Value.TryGetProperty(m, out var op))
                {
                    string tag = op.TryGetProperty("tags", out var tags) && tags.GetArrayLength() > 0 ? tags[0].GetString()! : "other";
                    ops.Add((tag, m.ToUpperInvariant(), path.Name, op));
                }

        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(Str(info, "title"))).Append(" API</title>\n<style>")
         .Append("body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}")
         .Append("code,.path{font-family:ui-monospace,monospace}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}")
         .Append(".op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}.method{font-weight:bold;padding:.1rem .4rem;border-radius:4px;color:#fff;background:#2a6}")
         .Append(".method.GET{background:#36c}table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}")
         .Append("th{background:#f4f4f4}.req{color:#b40}</style></head><body>\n");
        h.Append("<h1>").Append(E(Str(info, "title"))).Append(" <small>").Append(E(Str(info, "version"))).Append("</small></h1>\n");
        h.Append("<p>").Append(E(Str(info, "description"))).Append("</p>\n<p>Machine-readable: <a href=\"openapi.json\">openapi.json</a> (OpenAPI ")
         .Append(E(Str(root, "openapi"))).Append(").</p>\n");

        h.Append("<ul>");
        foreach (var (tag, method, path, op) in ops.OrderBy(o => o.Tag, StringComparer.Ordinal))
            h.Append("<li><a href=\"#").Append(Anchor(method, path)).Append("\"><code>").Append(method).Append(' ').Append(E(path)).Append("</code></a> ")
             .Append(E(Str(op, "summary"))).Append("</li>");
        h.Append("</ul>\n");

        foreach (var group in ops.GroupBy(o => o.Tag).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            h.Append("<h2>").Append(E(group.Key)).Append("</h2>\n");
            foreach (var (_, method, path, op) in group)
            {
                h.Append("<div class=\"op\" id=\"").Append(Anchor(method, path)).Append("\"><p><span class=\"method ").Append(method).Append("\">").Append(method)
                 .Append("</span> <span class=\"path\">").Append(E(path)).Append("</span> — ").Append(E(Str(op, "summary"))).Append("</p>\n");
                if (Str(op, "description") is { Length: > 0 } d) h.Append("<p>").Append(E(d)).Append("</p>\n");
                if (op.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content))
                    foreach (var media in content.EnumerateObject())
                    {
                        h.Append("<p><b>Request</b> <code>").Append(E(media.Name)).Append("</code>: ");
                        if (media.Value.TryGetProperty("schema", out var schema)) Schema(h, schema, schemas);
                        h.Append("</p>\n");
                    }
                if (op.TryGetProperty("responses", out var responses))
                {
                    h.Append("<table><tr><th>status</th><th>body</th></tr>");
                    foreach (var r in responses.EnumerateObject())
                    {
                        h.Append("<tr><td>").Append(E(r.Name)).Append("</td><td>").Append(E(Str(r.Value, "description")));
                        if (r.Value.TryGetProperty("content", out var rc))
                            foreach (var media in rc.EnumerateObject())
                            {
                                h.Append(" <code>").Append(E(media.Name)).Append("</code> ");
                                if (media.Value.TryGetProperty("schema", out var schema)) h.Append(Type(schema));
                            }
                        h.Append("</td></tr>");
                    }
                    h.Append("</table>\n");
                }
                h.Append("</div>\n");
            }
        }

        if (schemas.ValueKind == JsonValueKind.Object)
        {
            h.Append("<h2>Schemas</h2>\n");
            foreach (var sc in schemas.EnumerateObject())
            {
                h.Append("<div class=\"op\" id=\"schema-").Append(E(sc.Name)).Append("\"><p><b>").Append(E(sc.Name)).Append("</b></p>");
                if (Str(sc.Value, "description") is { Length: > 0 } d) h.Append("<p>").Append(E(d)).Append("</p>");
                Properties(h, sc.Value);
                h.Append("</div>\n");
            }
        }
        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>A body schema: its type, then the fields of the object it names.</summary>
    private static void Schema(StringBuilder h, JsonElement schema, JsonElement schemas)
    {
        h.Append(Type(schema));
        if (Ref(schema) is { } name && schemas.ValueKind == JsonValueKind.Object && schemas.TryGetProperty(name, out var target))
        {
            if (Str(target, "description") is { Length: > 0 } d) h.Append(" — ").Append(E(d));
            h.Append("</p>");
            Properties(h, target);
            h.Append("<p>");
        }
    }

    private static void Properties(StringBuilder h, JsonElement schema)
    {
        if (!schema.TryGetProperty("properties", out var props)) return;
        var required = schema.TryGetProperty("required", out var req) ? req.EnumerateArray().Select(r => r.GetString()).ToHashSet() : [];
        h.Append("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
        foreach (var p in props.EnumerateObject())
        {
            h.Append("<tr><td><code>").Append(E(p.Name)).Append("</code>");
            if (required.Contains(p.Name)) h.Append(" <span class=\"req\">required</span>");
            h.Append("</td><td>").Append(Type(p.Value)).Append("</td><td>").Append(E(Str(p.Value, "description"))).Append("</td></tr>");
        }
        h.Append("</table>");
    }

    /// <summary>A schema's type in a few words (HTML), linking to named schemas.</summary>
    private static string Type(JsonElement schema)
    {
        if (Ref(schema) is { } name) return $"<a href=\"#schema-{E(name)}\">{E(name)}</a>";
        if (schema.TryGetProperty("type", out var t))
        {
            var types = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()!).Where(x => x != "null").ToList() : [t.GetString()!];
            return string.Join(" | ", types.Select(x => x == "array" && schema.TryGetProperty("items", out var items) ? $"array of {Type(items)}" : E(x)));
        }
        foreach (var key in new[] { "oneOf", "anyOf" })
            if (schema.TryGetProperty(key, out var alts))
                return string.Join(" | ", alts.EnumerateArray().Select(Type).Where(x => x != "null"));
        return "any JSON";
    }

    private static string? Ref(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var r) && r.GetString() is { } s && s.StartsWith("#/components/schemas/", StringComparison.Ordinal)
            ? s["#/components/schemas/".Length..] : null;

    private static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static string Anchor(string method, string path) => method.ToLowerInvariant() + "-" + (path == "/" ? "root" : path.Trim('/').Replace('/', '-'));

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
