namespace RwkvNative.Fuzz;

/// <summary>
/// One parser of untrusted bytes, driven with arbitrary input. <see cref="Run"/> returns normally or throws one of the
/// parser's documented refusals (<see cref="IsRefusal"/>); any other exception, a hang or a crash is a finding.
/// </summary>
public sealed record FuzzTarget(string Name, string Description, ReadOnlySpanRunner Run, Func<Exception, bool> IsRefusal)
{
    /// <summary>Runs one input; true when it was accepted or refused cleanly, false (with the exception) for a finding.</summary>
    public bool TryRun(ReadOnlySpan<byte> input, out Exception? finding)
    {
        finding = null;
        try { Run(input); }
        catch (Exception e) when (IsRefusal(e)) { }
        catch (Exception e) { finding = e; return false; }
        return true;
    }
}
