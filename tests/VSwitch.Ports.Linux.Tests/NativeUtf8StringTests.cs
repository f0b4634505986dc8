using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>The paths handed to Tmds.LibC's <c>byte*</c> calls: UTF-8, NUL-terminated, never cut short.</summary>
public sealed unsafe class NativeUtf8StringTests
{
    [Theory]
    [InlineData("")]
    [InlineData("/dev/net/tun")]
    [InlineData("/run/vswitch/k\u00e4se-\u00fc\u4e2d.sock")]
    public void Copy_IsTheUtf8BytesAndOneNul(string value)
    {
        using var copy = new NativeUtf8String(value);
        var expected = Encoding.UTF8.GetBytes(value);
        var actual = new ReadOnlySpan<byte>(copy.Pointer, expected.Length + 1);
        Assert.Equal(expected, actual[..^1].ToArray());
        Assert.Equal(0, actual[^1]);
        Assert.Equal(value, Marshal.PtrToStringUTF8((nint)copy.Pointer));
    }

    [Fact]
    public void NulInside_IsRefusedRatherThanCutShort()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NativeUtf8String("/tmp/a\0/etc/passwd").Dispose());
        Assert.Contains("NUL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TmdsPathCalls_ActOnTheFileNamed()
    {
        // open, link, statx and unlink through Tmds.LibC on a name that is not ASCII.
        var dir = Directory.CreateTempSubdirectory("vswitch-utf8-");
        try
        {
            var first = Path.Combine(dir.FullName, "gr\u00fc\u00dfe");
            var second = Path.Combine(dir.FullName, "\u4e2d-second");
            using (var name = new NativeUtf8String(first))
            {
                var fd = TmdsLibC.open(name.Pointer, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, (ushort)0b110_000_000);
                Assert.True(fd >= 0, $"open: errno {Marshal.GetLastPInvokeError()}");
                Assert.Equal(0, TmdsLibC.ftruncate(fd, 12345));
                _ = TmdsLibC.close(fd);
            }
            using (var from = new NativeUtf8String(first))
            using (var to = new NativeUtf8String(second))
            {
                Assert.Equal(0, TmdsLibC.link(from.Pointer, to.Pointer));
                Assert.Equal(-1, TmdsLibC.link(from.Pointer, to.Pointer));
                Assert.Equal(LibC.EEXIST, Marshal.GetLastPInvokeError());
                Tmds.Linux.statx st;
                Assert.Equal(0, TmdsLibC.statx(LibC.AT_FDCWD, to.Pointer, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_SIZE, &st));
                Assert.Equal(12345UL, st.stx_size);
                Assert.Equal(0, TmdsLibC.unlink(from.Pointer));
            }
            Assert.False(File.Exists(first));
            Assert.Equal(12345, new FileInfo(second).Length);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
