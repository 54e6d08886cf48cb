namespace RwkvNative.Checkpoints;

/// <summary>What an allow-listed global stands for.</summary>
internal enum PickleGlobalKind
{
    OrderedDict,
    RebuildTensorV2,
    RebuildParameter,
    Storage,
}
