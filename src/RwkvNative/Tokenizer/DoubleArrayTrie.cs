// The greedy longest-match automaton: a double-array trie over token bytes.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RwkvNative.Tokenizer;

/// <summary>
/// A trie of every token's bytes in one flat array. The child of node <c>s</c> on byte <c>c</c> is cell
/// <c>t = Base(s) + c</c>, and it exists iff <c>Check(t) == s</c>; one transition costs one addition and one
/// compare, with no per-node child lists. Each cell packs Base, Check and Token into 8 bytes, so the world
/// vocabulary's 116k cells take 0.9 MB, and nodes are laid out breadth first, so the hot top levels share a few
/// cache lines. Immutable after <see cref="Build"/>, so any number of threads may match at once.
/// </summary>
internal sealed class DoubleArrayTrie
{
    /// <summary>One cell while building (unpacked).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Cell
    {
        /// <summary>Offset of this node's children: the child on byte c is cell Base + c.</summary>
        public int Base;

        /// <summary>Index of the parent node; negative for a free cell (and for the root).</summary>
        public int Check;

        /// <summary>Id of the token that ends at this node; 0 when none does.</summary>
        public int Token;
    }

    // Packed cell: bits 0..23 Base, 24..47 Check, 48..63 Token.
    private const int CheckShift = 24;
    private const int TokenShift = 48;
    private const ulong FieldMask = 0xFF_FFFF;

    /// <summary>Check of free cells and the root: never a node index, since the array is smaller than this.</summary>
    private const int NoParent = (int)FieldMask;

    /// <summary>Largest array the 24-bit fields can address (Base + 255 must fit, and NoParent must not be an index).</summary>
    internal const int MaxCells = (int)FieldMask - 1;

    private const int Root = 0;

    // Every cell's Base + 255 is inside the array (free cells included), so matching needs no bounds checks.
    private readonly ulong[] _cells;

    private DoubleArrayTrie(ulong[] cells) => _cells = cells;

    /// <summary>Number of cells in the double array (nodes plus free cells).</summary>
    public int CellCount => _cells.Length;

    /// <summary>
    /// Greedy longest match over <paramref name="text"/>: writes each token id to <paramref name="destination"/>
    /// and returns how many it wrote. Requires a token for every single byte (checked by <see cref="Build"/>), so
    /// every step advances and <c>text.Length</c> ids always suffice.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe int Encode(ReadOnlySpan<byte> text, Span<int> destination)
    {
        int n = text.Length;
        int capacity = destination.Length;
        int written = 0;
        fixed (byte* src = text)
        fixed (int* dst = destination)
        fixed (ulong* cell = _cells)
        {
            nuint rootBase = (nuint)(cell[Root] & FieldMask);
            int pos = 0;
            bool roomy = capacity >= n;
            while (pos < n)
            {
                if (!roomy && written == capacity) ThrowDestinationTooShort(n);
                // The first byte always matches (every byte is a token).
                nuint s = rootBase + src[pos];
                ulong v = cell[s];
                int best = (int)(v >> TokenShift);
                int p = pos + 1;
                int bestEnd = p;
                while (p < n)
                {
                    nuint t = (nuint)(v & FieldMask) + src[p];
                    ulong w = cell[t];
                    if (((w >> CheckShift) & FieldMask) != s) break;
                    s = t;
                    v = w;
                    p++;
                    int token = (int)(w >> TokenShift);
                    if (token != 0)
                    {
                        best = token;
                        bestEnd = p;
                    }
                }
                dst[written++] = best;
                pos = bestEnd;
            }
        }
        return written;
    }

    private static void ThrowDestinationTooShort(int textLength) =>
        throw new ArgumentException($"destination is too short; {textLength} ids (one per input byte) always suffice.", "destination");

    /// <summary>
    /// Builds the trie of every token in <paramref name="vocabulary"/>, level by level (breadth first). Each level's
    /// nodes own disjoint slices of one id array; a node sorts its slice by the byte at its depth, which splits it
    /// into its children's slices (an MSD radix sort fused with construction: no global sort of byte strings).
    /// </summary>
    /// <exception cref="FormatException">Two ids share the same bytes, or a single byte has no token.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DoubleArrayTrie Build(Vocabulary vocabulary, string source)
    {
        var bytes = vocabulary.Bytes;
        var offsets = vocabulary.Offsets;
        int keyCount = vocabulary.Count;

        // One-shot scratch (a few MB for the world vocabulary): allocated, not pooled, so nothing stays behind.
        int[] ids = GC.AllocateUninitializedArray<int>(keyCount);
        int[] scratch = GC.AllocateUninitializedArray<int>(keyCount);
        // A level's entries are (node, lo, hi) over ids; each level has at most keyCount nodes.
        int[] level = GC.AllocateUninitializedArray<int>(keyCount * 3);
        int[] nextLevel = GC.AllocateUninitializedArray<int>(keyCount * 3);

        int k = 0;
        for (int id = 1; id <= vocabulary.MaxId; id++)
            if (offsets[id + 1] > offsets[id]) ids[k++] = id;

        var builder = new CellBuilder(2 * keyCount + 1024);
        // The root's Check must differ from Free (-1) so no child lands on it, and from every node index.
        builder.UseCell(Root, check: -2);

        Span<int> counts = stackalloc int[257];
        Span<byte> labels = stackalloc byte[256];
        Span<int> runStarts = stackalloc int[257];

        int levelCount = 1;
        level[0] = Root;
        level[1] = 0;
        level[2] = keyCount;
        for (int depth = 0; levelCount > 0; depth++)
        {
            int nextCount = 0;
            for (int e = 0; e < levelCount; e++)
            {
                int node = level[3 * e], lo = level[3 * e + 1], hi = level[3 * e + 2];
                SortByByteAt(ids.AsSpan(lo, hi - lo), scratch, bytes, offsets, depth, counts);

                // Keys are unique, so at most one ends here, and it sorts first.
                int first = ids[lo];
                if (offsets[first + 1] - offsets[first] == depth)
                {
                    builder.SetToken(node, first);
                    lo++;
                    if (lo < hi && offsets[ids[lo] + 1] - offsets[ids[lo]] == depth)
                        throw SameBytes(source, first, ids[lo]);
                }
                if (lo == hi) continue;

                int labelCount = 0;
                for (int i = lo; i < hi; i++)
                {
                    byte c = bytes[offsets[ids[i]] + depth];
                    if (labelCount == 0 || labels[labelCount - 1] != c)
                    {
                        labels[labelCount] = c;
                        runStarts[labelCount] = i;
                        labelCount++;
                    }
                }
                runStarts[labelCount] = hi;

                int nodeBase = builder.PlaceChildren(node, labels[..labelCount]);
                for (int j = 0; j < labelCount; j++)
                {
                    nextLevel[3 * nextCount] = nodeBase + labels[j];
                    nextLevel[3 * nextCount + 1] = runStarts[j];
                    nextLevel[3 * nextCount + 2] = runStarts[j + 1];
                    nextCount++;
                }
            }
            (level, nextLevel) = (nextLevel, level);
            levelCount = nextCount;
        }

        var cells = builder.ToPackedCells(source);
        int rootBase = (int)(cells[Root] & FieldMask);
        for (int c = 0; c < 256; c++)
        {
            ulong cell = cells[rootBase + c];
            if ((int)((cell >> CheckShift) & FieldMask) != Root || cell >> TokenShift == 0)
                throw MissingByte(source, c);
        }
        return new DoubleArrayTrie(cells);
    }

    // Messages live outside the hot methods, which are JIT-compiled fully optimized on every cold start.
    private static FormatException SameBytes(string source, int first, int second) =>
        new($"{source}: token ids {first} and {second} have the same bytes.");

    private static FormatException MissingByte(string source, int value) =>
        new($"{source}: the vocabulary has no token for the single byte 0x{value:X2}, so greedy matching could get stuck.");

    private static FormatException TooManyCells(string source, int length) =>
        new($"{source}: the vocabulary needs {length} trie cells; the matcher addresses at most {MaxCells}.");

    /// <summary>Stable sort of <paramref name="slice"/> by each key's byte at <paramref name="depth"/>; a key that ends there sorts first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SortByByteAt(Span<int> slice, int[] scratch, byte[] bytes, int[] offsets, int depth, Span<int> counts)
    {
        if (slice.Length <= 24)
        {
            for (int i = 1; i < slice.Length; i++)
            {
                int id = slice[i];
                int key = KeyAt(bytes, offsets, id, depth);
                int j = i - 1;
                while (j >= 0 && KeyAt(bytes, offsets, slice[j], depth) > key)
                {
                    slice[j + 1] = slice[j];
                    j--;
                }
                slice[j + 1] = id;
            }
            return;
        }

        // Counting sort over 257 buckets (ended, then bytes 0..255).
        counts.Clear();
        foreach (int id in slice) counts[KeyAt(bytes, offsets, id, depth) + 1]++;
        int sum = 0;
        for (int b = 0; b < counts.Length; b++)
        {
            int c = counts[b];
            counts[b] = sum;
            sum += c;
        }
        var temp = scratch.AsSpan(0, slice.Length);
        foreach (int id in slice) temp[counts[KeyAt(bytes, offsets, id, depth) + 1]++] = id;
        temp.CopyTo(slice);
    }

    /// <summary>The byte of key <paramref name="id"/> at <paramref name="depth"/>, or -1 when the key ends there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KeyAt(byte[] bytes, int[] offsets, int id, int depth)
    {
        int at = offsets[id] + depth;
        return at < offsets[id + 1] ? bytes[at] : -1;
    }

    /// <summary>
    /// Owns the growing double array during construction and the list of its free cells (doubly linked, in index
    /// order), so finding a base for a node's children only visits free cells.
    /// </summary>
    private sealed class CellBuilder
    {
        private const int Free = -1;
        private const int End = -1;

        private Cell[] _cells;
        private int[] nextFree;
        private int[] previousFree;
        private int firstFree;
        private int lastFree;
        private int used; // one past the highest used cell
        private int multiStart; // multi-child searches start at the first free cell from here
        private const int MultiChildPatience = 8;

        public CellBuilder(int capacity)
        {
            capacity = Math.Max(capacity, 512);
            _cells = new Cell[capacity];
            nextFree = new int[capacity];
            previousFree = new int[capacity];
            firstFree = End;
            lastFree = End;
            LinkFree(0, capacity);
        }

        /// <summary>Appends cells [from, to) to the free list, which stays in index order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void LinkFree(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                _cells[i].Check = Free;
                previousFree[i] = lastFree;
                nextFree[i] = End;
                if (lastFree == End) firstFree = i;
                else nextFree[lastFree] = i;
                lastFree = i;
            }
        }

        private void Grow(int minimum)
        {
            int old = _cells.Length;
            int capacity = Math.Max(old * 2, minimum);
            Array.Resize(ref _cells, capacity);
            Array.Resize(ref nextFree, capacity);
            Array.Resize(ref previousFree, capacity);
            LinkFree(old, capacity);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void UseCell(int t, int check)
        {
            int previous = previousFree[t], next = nextFree[t];
            if (previous == End) firstFree = next;
            else nextFree[previous] = next;
            if (next == End) lastFree = previous;
            else previousFree[next] = previous;
            _cells[t].Check = check;
            if (t >= used) used = t + 1;
        }

        public void SetToken(int node, int token) => _cells[node].Token = token;

        /// <summary>
        /// Finds a base where every <c>base + label</c> is free (first fit over the free list), claims those cells
        /// for <paramref name="node"/>'s children and returns the base.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int PlaceChildren(int node, ReadOnlySpan<byte> labels)
        {
            int first = labels[0];
            bool single = labels.Length == 1;
            int candidate = single ? firstFree : FirstFreeFromMultiStart();
            int tried = 0;
            while (true)
            {
                // Keep 256 cells past any base so Encode never indexes outside the array.
                if (candidate == End || candidate - first + 256 > _cells.Length)
                {
                    int from = _cells.Length;
                    Grow(Math.Max(candidate, from) - first + 512);
                    if (candidate == End) candidate = from;
                    continue;
                }
                int nodeBase = candidate - first;
                if (nodeBase >= 0 && FitsAt(nodeBase, labels))
                {
                    // Holes that keep failing multi-child nodes are left to single-child nodes (most nodes),
                    // so later multi-child searches start past them: this keeps construction near linear.
                    if (!single && tried > MultiChildPatience) multiStart = candidate;
                    _cells[node].Base = nodeBase;
                    foreach (byte c in labels) UseCell(nodeBase + c, node);
                    return nodeBase;
                }
                candidate = nextFree[candidate];
                tried++;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int FirstFreeFromMultiStart()
        {
            while (multiStart < _cells.Length && _cells[multiStart].Check != Free) multiStart++;
            return multiStart < _cells.Length ? multiStart : End;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool FitsAt(int nodeBase, ReadOnlySpan<byte> labels)
        {
            for (int j = 1; j < labels.Length; j++)
                if (_cells[nodeBase + labels[j]].Check != Free) return false;
            return true;
        }

        /// <summary>The final packed array: used cells plus 256 spare (free) ones, so any Base + byte stays inside.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ulong[] ToPackedCells(string source)
        {
            int maxBase = 0;
            for (int i = 0; i < used; i++)
                if (_cells[i].Check != Free && _cells[i].Base > maxBase) maxBase = _cells[i].Base;
            int length = Math.Max(used, maxBase + 256);
            if (length > MaxCells)
                throw TooManyCells(source, length);
            var result = new ulong[length];
            for (int i = 0; i < length; i++)
            {
                var cell = i < _cells.Length ? _cells[i] : new Cell { Check = Free };
                ulong check = cell.Check < 0 ? NoParent : (ulong)cell.Check;
                result[i] = (uint)cell.Base | check << CheckShift | (ulong)(uint)cell.Token << TokenShift;
            }
            return result;
        }
    }
}
