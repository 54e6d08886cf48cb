using System.Security.Cryptography;
using RwkvNative.Checkpoints;

namespace RwkvNative;

/// <summary>A digest of a checkpoint's shapes and a sample of its weights: cheap at load, different for different models.</summary>
internal static class ModelIdentity
{
    public static string Of(Checkpoint ckpt, object config)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(System.Text.Encoding.UTF8.GetBytes(config.ToString() ?? ""));
        foreach (var key in ckpt.Tensors.Keys.Order(StringComparer.Ordinal))
        {
            var t = ckpt.Tensors[key];
            h.AppendData(System.Text.Encoding.UTF8.GetBytes($"{key}:{t.DType}:{string.Join(",", t.Shape)};"));
            var raw = t.RawBytes;
            // Up to 256 chunks of 64 bytes spread over the tensor.
            const int chunk = 64, chunks = 256;
            if (raw.Length <= chunk * chunks) h.AppendData(raw);
            else
            {
                long step = (raw.Length - chunk) / (chunks - 1);
                for (int i = 0; i < chunks; i++) h.AppendData(raw.Slice((int)(i * step), chunk));
            }
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
