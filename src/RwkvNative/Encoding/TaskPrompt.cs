namespace RwkvNative;

/// <summary>
/// What a task asks of the encoder for one side of its texts: the head, and the instruction description (null: none).
/// Apply it with <see cref="EmbeddingModel.Embed(IReadOnlyList{string}, EmbeddingTask, string?, TextEncoding?, CancellationToken)"/>.
/// </summary>
/// <param name="Head">The task head (upstream's tag: <c>[RETR]</c>, <c>[CLS]</c>, <c>[STS]</c>).</param>
/// <param name="Instruction">The description put into <see cref="TaskInstructions.Template"/>, or null for texts that get none.</param>
public sealed record TaskPrompt(EmbeddingTask Head, string? Instruction);
