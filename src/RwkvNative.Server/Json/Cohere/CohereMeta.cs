namespace RwkvNative.Server.Json;

internal sealed class CohereMeta
{
    public CohereApiVersion ApiVersion { get; init; } = new();
    public CohereBilledUnits BilledUnits { get; init; } = new();
}
