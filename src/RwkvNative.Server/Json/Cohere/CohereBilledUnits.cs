namespace RwkvNative.Server.Json;

internal sealed class CohereBilledUnits
{
    public int SearchUnits { get; init; } = 1;
}
