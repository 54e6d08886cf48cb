namespace RwkvNative.Store;

/// <summary>A stored document whose embedding or state fails its checksum.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Index">Its position in the store.</param>
/// <param name="Problem">What failed, and what to do.</param>
public sealed record DamagedDocument(string Id, int Index, string Problem);
