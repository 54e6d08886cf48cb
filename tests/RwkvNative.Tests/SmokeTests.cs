namespace RwkvNative.Tests;

public class SmokeTests
{
    [Fact]
    public void Fixtures_folder_is_found() => Assert.True(File.Exists(Fixtures.PathOf("tokenizer.cases.jsonl")));
}
