using System.Buffers;

namespace VSwitch.Admin.Client;

/// <summary>
/// An answer's body in a buffer rented from the shared array pool, returned to it on <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Why: the console reads a few megabytes a second (stats of every port, thousands of connections). A new array per
/// answer, as <c>ReadAsByteArrayAsync</c> gives, is a large object each time, and large objects are collected only
/// by full collections: measured, one nearly every refresh.
/// </remarks>
internal sealed class PooledBody : IDisposable
{
    /// <summary>No answer of the API comes near this; a larger one is refused rather than filling the memory.</summary>
    public const int MaxLength = 256 << 20;

    private byte[] _buffer;

    private PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>
    /// Reads <paramref name="stream"/> to its end (<paramref name="expected"/>: its length, when known); more than
    /// <see cref="MaxLength"/> bytes is an <see cref="InvalidDataException"/>.
    /// </summary>
    public static async Task<PooledBody> ReadAsync(Stream stream, long? expected, CancellationToken cancellation)
    {
        if (expected > MaxLength)
        {
            throw TooLarge();
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)(expected ?? 0) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= MaxLength)
                    {
                        throw TooLarge();
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxLength + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    return new PooledBody(buffer, length);
                }
                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static InvalidDataException TooLarge() => new($"a body larger than {MaxLength >> 20} MiB");

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
