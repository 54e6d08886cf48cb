// Deterministic multilingual text for throughput benchmarks: English prose, source code, Chinese, Japanese, Korean,
// Russian and emoji, mixed paragraph by paragraph.
using System.Text;

namespace RwkvNative.Benchmarking;

/// <summary>
/// Generates the same mixed text for the same (size, seed) on every machine and runtime: the one text workload of
/// <c>rwkv-emb bench</c> and the BenchmarkDotNet tokenizer benchmarks.
/// </summary>
public static class MixedText
{
    private static readonly string[] EnglishWords =
    [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "are", "by", "this",
        "be", "from", "or", "have", "an", "they", "which", "one", "you", "were", "all", "we", "can", "her", "has",
        "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "model", "embedding", "state",
        "document", "query", "retrieval", "search", "language", "token", "vector", "memory", "network", "training",
        "performance", "results", "however", "because", "between", "important", "different", "following", "system",
        "information", "development", "government", "university", "international", "understanding", "experience",
        "Monday", "London", "Python", "RWKV", "2024", "3.14", "42", "COVID-19", "e-mail", "well-known",
    ];

    private static readonly string[] ChineseWords =
    [
        "我们", "中国", "世界", "发展", "技术", "模型", "数据", "研究", "问题", "时间", "工作", "社会", "经济", "国家",
        "人们", "可以", "这个", "一个", "没有", "因为", "所以", "但是", "如果", "已经", "进行", "通过", "学习", "语言",
        "信息", "系统", "方法", "文档", "检索", "向量", "的", "了", "是", "在", "和", "有", "不", "这", "也", "就",
        "，", "。", "、", "：", "“", "”", "！", "？",
    ];

    private static readonly string[] JapaneseKoreanRussian =
    [
        "こんにちは", "ありがとうございます", "日本語", "東京", "今日は", "天気", "です", "ます", "して", "という",
        "안녕하세요", "감사합니다", "한국어", "서울", "데이터", "모델", "입니다",
        "привет", "мир", "данные", "модель", "поиск", "и", "в", "не", "на", "что", "это",
    ];

    private static readonly string[] Emoji =
    [
        "😀", "👍", "👍🏽", "❤️", "🚀", "🎉", "🔥", "✅", "👨‍👩‍👧‍👦", "🇯🇵", "🤖", "📚", "✨", "🙏", "😂",
    ];

    private static readonly string[] CodeTemplates =
    [
        "public static int {0}(ReadOnlySpan<int> {1})\n{{\n    int sum = 0;\n    for (int i = 0; i < {1}.Length; i++)\n        sum += {1}[i] * {2};\n    return sum;\n}}\n",
        "def {0}({1}, n={2}):\n    \"\"\"Return the first n items.\"\"\"\n    out = []\n    for x in {1}[:n]:\n        if x is not None:\n            out.append(x)\n    return out\n",
        "    if ({1} == null) throw new ArgumentNullException(nameof({1}));\n    var {0} = new Dictionary<string, int>({2});\n",
        "<div class=\"{0}\"><span id=\"{1}\">{2}</span></div>\n",
        "{{\"name\": \"{0}\", \"value\": {2}, \"tags\": [\"{1}\", \"x\"]}}\n",
        "// TODO({0}): handle {1} when size > {2}\n#include <stdio.h>\nint main(void) {{ printf(\"%d\\n\", {2}); return 0; }}\n",
    ];

    private static readonly string[] Identifiers =
    [
        "count", "tokens", "buffer", "getValue", "item_list", "userName", "config", "ParseHeader", "max_len", "data",
    ];

    /// <summary>
    /// Text whose UTF-8 form is exactly <paramref name="utf8Bytes"/> bytes (a character that would cross the limit is
    /// replaced by spaces). Roughly: 45% English prose, 20% code, 20% Chinese, 10% Japanese/Korean/Russian, 5% emoji lines.
    /// </summary>
    public static string Generate(int utf8Bytes, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(utf8Bytes);
        var random = new Random(seed);
        var text = new StringBuilder(utf8Bytes);
        int bytes = 0;
        var paragraph = new StringBuilder();
        while (bytes < utf8Bytes)
        {
            paragraph.Clear();
            int kind = random.Next(100);
            if (kind < 45) Prose(paragraph, random);
            else if (kind < 65) Code(paragraph, random);
            else if (kind < 85) Words(paragraph, random, ChineseWords, separator: "", count: random.Next(20, 120));
            else if (kind < 95) Words(paragraph, random, JapaneseKoreanRussian, separator: " ", count: random.Next(10, 60));
            else Words(paragraph, random, Emoji, separator: " ", count: random.Next(3, 15));
            paragraph.Append('\n');

            foreach (var rune in paragraph.ToString().EnumerateRunes())
            {
                int n = rune.Utf8SequenceLength;
                if (bytes + n > utf8Bytes)
                {
                    text.Append(' ', utf8Bytes - bytes);
                    bytes = utf8Bytes;
                    break;
                }
                text.Append(rune.ToString());
                bytes += n;
            }
        }
        return text.ToString();
    }

    private static void Prose(StringBuilder sb, Random random)
    {
        int sentences = random.Next(2, 8);
        for (int s = 0; s < sentences; s++)
        {
            int words = random.Next(5, 25);
            for (int w = 0; w < words; w++)
            {
                var word = EnglishWords[random.Next(EnglishWords.Length)];
                if (w == 0) sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                else sb.Append(' ').Append(word);
                if (w < words - 1 && random.Next(12) == 0) sb.Append(',');
            }
            sb.Append(random.Next(10) == 0 ? "? " : ". ");
        }
    }

    private static void Code(StringBuilder sb, Random random)
    {
        var template = CodeTemplates[random.Next(CodeTemplates.Length)];
        sb.AppendFormat(System.Globalization.CultureInfo.InvariantCulture, template,
            Identifiers[random.Next(Identifiers.Length)], Identifiers[random.Next(Identifiers.Length)], random.Next(1000));
    }

    private static void Words(StringBuilder sb, Random random, string[] pool, string separator, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(separator);
            sb.Append(pool[random.Next(pool.Length)]);
        }
    }
}
