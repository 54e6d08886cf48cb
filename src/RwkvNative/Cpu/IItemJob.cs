namespace RwkvNative.Cpu;

/// <summary>A loop body: item i of [0, count), independent of every other item.</summary>
internal interface IItemJob
{
    /// <summary>Processes item <paramref name="item"/>.</summary>
    void Run(int item);
}
