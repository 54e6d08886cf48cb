namespace RwkvNative.Cli;

/// <summary>
/// Splits a byte stream into lines at <c>\n</c> (a <c>\r</c> before it is dropped), without decoding them: the caller
/// sees each line's exact bytes, so invalid UTF-8 can be refused with its line number instead of silently replaced.
/// </summary>
internal sealed class Utf8Lines(Stream input)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof;

    /// <summary>The next line's bytes (valid until the next call), or false at the end of the input.</summary>
    public bool TryRead(out ReadOnlyMemory<byte> line)
    {
        int scanned = _start;
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', scanned, _end - scanned);
            if (nl >= 0)
            {
                line = Trim(_start, nl);
                _start = nl + 1;
                return true;
            }
            scanned = _end;
            if (_eof)
            {
                if (_start == _end) { line = default; return false; }
                line = Trim(_start, _end);
                _start = _end;
                return true;
            }
            Fill(ref scanned);
        }
    }

    private ReadOnlyMemory<byte> Trim(int start, int end)
    {
        if (end > start && _buffer[end - 1] == (byte)'\r') end--;
        return _buffer.AsMemory(start, end - start);
    }

    /// <summary>Moves the unread tail to the front (growing the buffer when one line fills it) and reads more.</summary>
    private void Fill(ref int scanned)
    {
        int kept = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, kept);
            scanned -= _start;
            _start = 0;
            _end = kept;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= Array.MaxLength) throw new InputException($"an input line is longer than {Array.MaxLength} bytes");
            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        }
        int n = input.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }
}
