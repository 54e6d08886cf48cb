using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using RwkvNative.Backends;
using RwkvNative.Cpu;

namespace RwkvNative.Tests.Fuzz;

/// <summary>
/// The assemblies the fuzzers instrument must run no code when they load: SharpFuzz's coverage map does not exist
/// until the fuzz loop starts, so a module initializer (a <c>&lt;Module&gt;..cctor</c>) in an instrumented assembly
/// crashes the target with an access violation before AFL++ sends its first input.
/// </summary>
public sealed class ModuleInitializerTests
{
    public static TheoryData<string> InstrumentedAssemblies => new("RwkvNative.dll", "rwkv-emb.dll");

    [Theory]
    [MemberData(nameof(InstrumentedAssemblies))]
    public void An_instrumented_assembly_has_no_module_constructor(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, file);
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        // The first TypeDef row is always <Module>, the type that holds module-level methods.
        var module = md.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(1));
        Assert.Equal("<Module>", md.GetString(module.Name));
        var methods = module.GetMethods().Select(h => md.GetString(md.GetMethodDefinition(h).Name)).ToArray();
        Assert.DoesNotContain(".cctor", methods);
    }

    [Fact]
    public void The_default_cpu_provider_is_registered_by_the_api_and_never_replaces_one_a_host_registered()
    {
        using var scratch = BackendRegistry.Register(new CpuBackendProvider(new CpuBackendOptions { Threads = 1 }));
        var hosts = BackendRegistry.Find("cpu");
        Assert.False(BackendRegistry.RegisterIfAbsent(CpuBackendProvider.Instance));
        Assert.Same(hosts, BackendRegistry.Find("cpu"));
        using var model = EmbeddingModel.Load(Fixtures.PathOf("tiny-bf16.emb.pth"));
        Assert.Same(hosts, BackendRegistry.Find("cpu"));
    }
}
