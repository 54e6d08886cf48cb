namespace RwkvNative.Server.Json;

internal sealed class CohereApiVersion
{
    public string Version { get; init; } = "2";
}
