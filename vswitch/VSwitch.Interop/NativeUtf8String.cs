using System.Runtime.InteropServices;
using System.Text;

namespace VSwitch.Interop;

/// <summary>
/// A string as C wants a path: UTF-8, NUL-terminated, in native memory that does not move, for the Tmds.LibC calls
/// that take a <c>byte*</c> (<c>open</c>, <c>statx</c>, <c>unlink</c>, <c>link</c>, <c>memfd_create</c>). Set-up
/// only: it allocates. <c>using var path = new NativeUtf8String(name);</c> then pass <see cref="Pointer"/>.
/// </summary>
/// <remarks>
/// A string with a NUL inside is refused rather than cut short, so a call can never act on a shorter path than the
/// one it was given (the marshaller of <c>StringMarshalling.Utf8</c> would cut it silently).
/// </remarks>
public readonly unsafe ref struct NativeUtf8String
{
    /// <summary>Copies <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> contains a NUL character.</exception>
    public NativeUtf8String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a path or name passed to libc cannot contain a NUL character", nameof(value));
        }
        var length = Encoding.UTF8.GetByteCount(value);
        Pointer = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(Pointer, length));
        Pointer[length] = 0;
    }

    /// <summary>The first byte; valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer { get; }

    /// <summary>Frees the copy.</summary>
    public void Dispose() => NativeMemory.Free(Pointer);
}
