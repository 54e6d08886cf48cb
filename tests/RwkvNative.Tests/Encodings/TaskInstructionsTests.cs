namespace RwkvNative.Tests.Encodings;

/// <summary>Upstream's instructions and heads as data (task_instruct.py, task_tag.py), and how they are applied.</summary>
public sealed class TaskInstructionsTests
{
    [Fact]
    public void Heads_and_instructions_follow_upstreams_tables()
    {
        Assert.Equal(new TaskPrompt(EmbeddingTask.Retrieval, "Given a query, retrieve documents that answer the query"), TaskInstructions.For("Retrieval"));
        Assert.Equal(new TaskPrompt(EmbeddingTask.Retrieval, null), TaskInstructions.For("Retrieval", "SciFact", isQuery: false));
        Assert.Equal("Retrieve semantically similar questions", TaskInstructions.For("retrieval", "QuoraRetrieval").Instruction);
        Assert.Equal(new TaskPrompt(EmbeddingTask.Classification, "Given a online banking query, find the corresponding intents"),
            TaskInstructions.For("Classification", "Banking77Classification.v2", isQuery: false)); // version suffix dropped; every text instructed
        Assert.Equal("Categorizing the given news title", TaskInstructions.For("Classification", "NotListed").Instruction);
        Assert.Equal(EmbeddingTask.Similarity, TaskInstructions.For("Summarization").Head); // upstream's task_tag.py: Summarization → [STS]
        foreach (var t in new[] { "Classification", "Clustering", "MultilabelClassification", "Regression" }) Assert.Equal(EmbeddingTask.Classification, TaskInstructions.For(t).Head);
        foreach (var t in new[] { "STS", "BitextMining", "PairClassification" }) Assert.Equal(EmbeddingTask.Similarity, TaskInstructions.For(t).Head);
        foreach (var t in new[] { "Reranking", "InstructionRetrieval" }) Assert.True(TaskInstructions.InstructsQueriesOnly(t));
        Assert.Contains("Retrieval", Assert.Throws<ArgumentException>(() => TaskInstructions.For("Speed")).Message);
    }

    [Fact]
    public void The_template_is_filled_once_positionally()
    {
        Assert.Equal("Instruct: find {query} things\nQuery: what is {description}?", TaskInstructions.Apply("find {query} things", "what is {description}?"));
        Assert.Equal("plain", TaskInstructions.Apply(null, "plain"));
        Assert.Equal("plain", TaskInstructions.Apply("", "plain"));
        Assert.Equal("Instruct: x\nQuery: y", TaskInstructions.Apply("other", "Instruct: x\nQuery: y")); // never instructed twice
    }
}
