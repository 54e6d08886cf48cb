namespace RwkvNative.Checkpoints;

/// <summary>One central-directory record.</summary>
/// <param name="Name">Entry name (UTF-8).</param>
/// <param name="Method">Compression method (0 = stored).</param>
/// <param name="Flags">General-purpose flags.</param>
/// <param name="CompressedSize">Bytes stored in the archive.</param>
/// <param name="UncompressedSize">Bytes after decompression.</param>
/// <param name="LocalHeaderOffset">Offset of the entry's local header.</param>
internal readonly record struct ZipEntry(string Name, int Method, int Flags, long CompressedSize, long UncompressedSize, long LocalHeaderOffset);
