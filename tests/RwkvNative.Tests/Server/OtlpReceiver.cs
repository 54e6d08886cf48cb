using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RwkvNative.Tests.Server;

/// <summary>
/// A tiny OTLP/HTTP trace receiver on a loopback port: keeps every <c>POST /v1/traces</c> body and decodes the spans
/// (ExportTraceServiceRequest protobuf: resource attributes, span ids, parent ids, names, attributes).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }
    public ConcurrentQueue<(string ContentType, byte[] Body)> Posts { get; } = new();

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        OtlpReceiver? self = null;
        app.MapPost("/v1/traces", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            self!.Posts.Enqueue((ctx.Request.ContentType ?? "", ms.ToArray()));
            ctx.Response.ContentType = "application/x-protobuf";
            ctx.Response.StatusCode = 200; // an empty ExportTraceServiceResponse
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new OtlpReceiver(app, new Uri(address));
        return self;
    }

    public sealed record Span(string TraceId, string SpanId, string ParentSpanId, string Name, Dictionary<string, string> Attributes);

    /// <summary>Every span of every POST, and the resource attributes seen (service.name, ...).</summary>
    public (List<Span> Spans, Dictionary<string, string> Resource) Decode()
    {
        var spans = new List<Span>();
        var resource = new Dictionary<string, string>();
        foreach (var (_, body) in Posts)
            foreach (var (f, rs) in Fields(body))
            {
                if (f != 1) continue; // resource_spans
                foreach (var (g, part) in Fields(rs))
                {
                    if (g == 1) // resource
                        foreach (var (h, kv) in Fields(part)) { if (h == 1) Add(resource, kv); }
                    else if (g == 2) // scope_spans
                        foreach (var (h, span) in Fields(part)) { if (h == 2) spans.Add(ReadSpan(span)); }
                }
            }
        return (spans, resource);
    }

    private static Span ReadSpan(byte[] span)
    {
        string trace = "", id = "", parent = "", name = "";
        var attrs = new Dictionary<string, string>();
        foreach (var (f, v) in Fields(span))
            switch (f)
            {
                case 1: trace = Convert.ToHexString(v); break;
                case 2: id = Convert.ToHexString(v); break;
                case 4: parent = Convert.ToHexString(v); break;
                case 5: name = Encoding.UTF8.GetString(v); break;
                case 9: Add(attrs, v); break;
            }
        return new Span(trace, id, parent, name, attrs);
    }

    /// <summary>A KeyValue: key (1) and AnyValue (2) as text (string_value 1, int_value 3 as its varint).</summary>
    private static void Add(Dictionary<string, string> into, byte[] kv)
    {
        string key = "", value = "";
        foreach (var (f, v) in Fields(kv))
            if (f == 1) key = Encoding.UTF8.GetString(v);
            else if (f == 2)
                foreach (var (g, w) in Fields(v))
                    if (g == 1) value = Encoding.UTF8.GetString(w);
        into[key] = value;
    }

    /// <summary>The length-delimited fields of a protobuf message (field number, bytes); other wire types are skipped.</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] m)
    {
        var result = new List<(int, byte[])>();
        int p = 0;
        while (p < m.Length)
        {
            ulong tag = Varint(m, ref p);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: Varint(m, ref p); break;
                case 1: p += 8; break;
                case 5: p += 4; break;
                case 2:
                    int len = (int)Varint(m, ref p);
                    result.Add((field, m[p..(p + len)]));
                    p += len;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {tag & 7} at {p}");
            }
        }
        return result;
    }

    private static ulong Varint(byte[] m, ref int p)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = m[p++];
            v |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return v;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
