namespace RwkvNative.Tests.Checkpoints;

/// <summary>A state dict for <see cref="PthWriter"/>: key → pickle fragment that pushes the value.</summary>
internal static class StateDictPickle
{
    public static byte[] Of(params (string Key, Action<PickleBuilder> Value)[] entries)
    {
        var p = new PickleBuilder().Proto().EmptyDict().Put(0).Mark();
        foreach (var (key, value) in entries)
        {
            p.Str(key);
            value(p);
        }
        return p.SetItems().Stop().ToArray();
    }
}
