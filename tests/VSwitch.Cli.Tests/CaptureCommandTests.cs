using System.Buffers.Binary;
using System.Text;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests;

/// <summary><c>vswitchctl capture</c> against a canned pcapng answer: the request it sends, its text, its file, its stdout stream.</summary>
public sealed class CaptureCommandTests : IDisposable
{
    private const string PortId = "33333333-3333-3333-3333-333333333333";
    private const string Query = $"/v2.0/vswitch/capture?port_id={PortId}&direction=in&drops=true&count=2&snaplen=128";
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitchctl-capture-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FakeApi Api(byte[] stream) => new FakeApi()
        .On("GET", "/v2.0/ports?name=p1", $$$"""{"ports": [{"id": "{{{PortId}}}", "name": "p1", "network_id": "n"}]}""")
        .OnBytes("GET", Query, stream, "application/x-pcapng");

    private static readonly string[] s_args = ["capture", "--port", "p1", "--direction", "in", "--drops", "-c", "2", "-s", "128"];

    [Fact]
    public void Text_OneDecodedLinePerFrame_TheDropReasonLast_TheCountsOnStderr()
    {
        var r = InProcessCli.Run(Api(CannedCapture()), s_args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{6} in  198\.18\.0\.1\.40000 > 198\.18\.0\.2\.22: TCP \[S\] seq 7, length 0, 54 bytes  DROPPED security_group$", lines[0]);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{6} out 198\.18\.0\.1 > 198\.18\.0\.2: ICMP echo request, id 9, seq 1, 42 bytes$", lines[1]);
        Assert.Equal("2 frames captured, 3 lost (the daemon's capture ring was full; a smaller -s or a narrower capture helps)\n", r.Stderr);
    }

    [Fact]
    public void Verbose_AddsEveryLayer()
    {
        var r = InProcessCli.Run(Api(CannedCapture()), [.. s_args, "-V"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Eth:  ******* Ethernet", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("IP:  ******* IPv4", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("TCP:  ******* TCP", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("ICMP:  ******* ICMPv4", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteFile_KeepsTheStreamAsSent()
    {
        var canned = CannedCapture();
        var file = Path.Combine(_dir, "p1.pcapng");
        var r = InProcessCli.Run(Api(canned), [.. s_args, "-w", file]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stdout);
        Assert.Equal(canned, File.ReadAllBytes(file));
        Assert.StartsWith("2 frames captured", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteDash_PutsThePcapNgOnStdout()
    {
        var canned = CannedCapture();
        using var stdout = new MemoryStream();
        var r = InProcessCli.Run(Api(canned), [.. s_args, "-w", "-"], binaryStdout: stdout);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(canned, stdout.ToArray());
    }

    [Fact]
    public void WriteIntoAMissingDirectory_IsOneLineAndExitOne()
    {
        var r = InProcessCli.Run(Api(CannedCapture()), [.. s_args, "-w", Path.Combine(_dir, "no", "such", "dir.pcapng")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("^vswitchctl: cannot write [^\n]+: there is no directory [^\n]+\n$", r.Stderr);
    }

    [Fact]
    public void RefusedCapture_LeavesAnExistingFileAsItWas()
    {
        var file = Path.Combine(_dir, "kept.pcapng");
        File.WriteAllText(file, "an earlier capture");
        // The fake API knows only the query of s_args: a capture of --direction out is refused (404).
        var r = InProcessCli.Run(Api(CannedCapture()), ["capture", "--port", "p1", "--direction", "out", "-w", file]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("an earlier capture", File.ReadAllText(file));
    }

    [Fact]
    public void BrokenStream_IsOneLineNamingHowFarItGot()
    {
        var canned = CannedCapture();
        var r = InProcessCli.Run(Api(canned[..^10]), s_args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("sent a broken capture stream after 2 frames", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>What vswitchd would send: a section, an interface in ns, a dropped TCP SYN in, an echo request out, 3 lost.</summary>
    private static byte[] CannedCapture()
    {
        var stream = new MemoryStream();
        Block(stream, 0x0A0D0D0A, [.. U32(0x1A2B3C4D), .. U16(1), .. U16(0), .. BitConverter.GetBytes(-1L), .. End()]);
        Block(stream, 1, [.. U16(1), .. U16(0), .. U32(128), .. Option(9, [9]), .. End()]);
        var tcp = Ipv4(6, [.. Be16(40000), .. Be16(22), 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x02, .. Be16(1024), 0, 0, 0, 0]);
        Packet(stream, 1_733_000_000_000_000_000, tcp, 1, "dropped: security_group");
        var icmp = Ipv4(1, [8, 0, 0, 0, .. Be16(9), .. Be16(1)]);
        Packet(stream, 1_733_000_000_500_000_000, icmp, 2, null);
        Block(stream, 5, [.. U32(0), .. U32(0), .. U32(0), .. Option(7, BitConverter.GetBytes(3L)), .. End()]);
        return stream.ToArray();
    }

    private static byte[] Ipv4(byte protocol, byte[] l4)
    {
        byte[] ip = [0x45, 0, .. Be16((ushort)(20 + l4.Length)), 0, 1, 0, 0, 64, protocol, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2];
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, .. ip, .. l4];
    }

    private static void Packet(MemoryStream stream, long ns, byte[] frame, uint direction, string? comment)
    {
        var padded = new byte[(frame.Length + 3) & ~3];
        frame.CopyTo(padded, 0);
        byte[] options = [.. Option(2, U32(direction)), .. comment is null ? [] : Option(1, Encoding.UTF8.GetBytes(comment)), .. End()];
        Block(stream, 6, [.. U32(0), .. U32((uint)((ulong)ns >> 32)), .. U32((uint)ns), .. U32((uint)frame.Length), .. U32((uint)frame.Length), .. padded, .. options]);
    }

    private static void Block(MemoryStream stream, uint type, byte[] body)
    {
        var length = (uint)(12 + body.Length);
        stream.Write(U32(type));
        stream.Write(U32(length));
        stream.Write(body);
        stream.Write(U32(length));
    }

    private static byte[] Option(ushort code, byte[] value)
    {
        var padded = new byte[(value.Length + 3) & ~3];
        value.CopyTo(padded, 0);
        return [.. U16(code), .. U16((ushort)value.Length), .. padded];
    }

    private static byte[] End() => [0, 0, 0, 0];

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Be16(ushort value) => [(byte)(value >> 8), (byte)value];

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
