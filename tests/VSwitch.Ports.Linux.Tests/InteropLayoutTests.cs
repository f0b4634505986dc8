using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>
/// Checks every struct and constant of <see cref="LibC"/> (and <see cref="VirtioNetHeader"/>) against the C headers:
/// a probe program is generated from the C# declarations by reflection, compiled with gcc and run, and each
/// <c>sizeof</c>, <c>offsetof</c>, member size and constant it prints must equal the C# value (Tmds.LibC's StructTests).
/// </summary>
public sealed class InteropLayoutTests
{
    private static readonly string[] s_headers =
    [
        "stddef.h", "stdio.h", "errno.h", "fcntl.h", "poll.h", "sched.h", "unistd.h",
        "sys/epoll.h", "sys/eventfd.h", "sys/file.h", "sys/ioctl.h", "sys/mman.h", "sys/socket.h", "sys/stat.h", "sys/uio.h",
        "net/if.h", "linux/if_packet.h", "linux/if_ether.h", "linux/if_tun.h",
        "linux/netlink.h", "linux/rtnetlink.h", "linux/virtio_net.h", "linux/io_uring.h", "sys/syscall.h",
        "sys/un.h", "sys/mman.h", "linux/virtio_ring.h", "linux/virtio_config.h", "linux/vhost_types.h",
    ];

    /// <summary>C types declared as unions rather than structs.</summary>
    private static readonly HashSet<string> s_unions = ["tpacket_bd_header_u"];

    /// <summary>C# field names of <see cref="VirtioNetHeader"/> and the <c>struct virtio_net_hdr</c> members they mirror.</summary>
    private static readonly (string CSharp, string C)[] s_virtioFields =
    [
        (nameof(VirtioNetHeader.Flags), "flags"),
        (nameof(VirtioNetHeader.GsoType), "gso_type"),
        (nameof(VirtioNetHeader.HeaderLength), "hdr_len"),
        (nameof(VirtioNetHeader.GsoSize), "gso_size"),
        (nameof(VirtioNetHeader.ChecksumStart), "csum_start"),
        (nameof(VirtioNetHeader.ChecksumOffset), "csum_offset"),
    ];

    private static readonly Lazy<Probe> s_probe = new(Probe.Build);

    public static IEnumerable<Type> InteropStructs() =>
        typeof(LibC).Assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsEnum && !t.IsNested && !t.IsByRefLike && t.Namespace == "VSwitch.Interop" && !t.Name.Contains('<'))
            .OrderBy(t => t.Name);

    public static IEnumerable<FieldInfo> InteropConstants() =>
        typeof(LibC).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType != typeof(string))
            .OrderBy(f => f.Name);

    [Fact]
    public void Probe_CoversEveryStructAndConstant()
    {
        // Guards the reflection itself: a refactoring that hid the declarations would make the other tests vacuous.
        var structs = InteropStructs().Select(t => t.Name).ToList();
        Assert.Contains("tpacket3_hdr", structs);
        Assert.Contains("tpacket_req3", structs);
        Assert.Contains("tpacket2_hdr", structs);
        Assert.Contains("tpacket_req", structs);
        Assert.Contains("tpacket_stats", structs);
        Assert.Contains("tpacket_stats_v3", structs);
        Assert.Contains("msghdr", structs);
        var constants = InteropConstants().Select(f => f.Name).ToList();
        Assert.Contains("TPACKET_V2", constants);
        Assert.Contains("TPACKET2_HDRLEN", constants);
        Assert.Contains("PACKET_COPY_THRESH", constants);
        Assert.Contains("PACKET_STATISTICS", constants);
        Assert.Contains("TP_STATUS_COPY", constants);
        Assert.Contains("TP_STATUS_LOSING", constants);
        Assert.Contains("sockaddr_ll", structs);
        Assert.Contains("ifreq", structs);
        Assert.Contains("nlmsghdr", structs);
        Assert.Contains("epoll_event", structs);
        Assert.Contains("mmsghdr", structs);
        Assert.Contains("SYS_io_uring_enter", constants);
        Assert.Contains("IORING_OFF_SQES", constants);
        Assert.Contains("IORING_OP_READV", constants);
        Assert.Contains("RWF_NOWAIT", constants);
        Assert.True(InteropConstants().Count() > 100);
    }

    [Fact]
    public void Structs_MatchCSizesAndOffsets()
    {
        var probe = s_probe.Value;
        var mismatches = new List<string>();
        foreach (var type in InteropStructs())
        {
            var cType = (s_unions.Contains(type.Name) ? "union " : "struct ") + type.Name;
            probe.Compare($"sizeof({cType})", SizeOf(type), mismatches);
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                probe.Compare($"offsetof({cType}, {field.Name})", Marshal.OffsetOf(type, field.Name).ToInt64(), mismatches);
                probe.Compare($"sizeof((({cType}*)0)->{field.Name})", SizeOf(field.FieldType), mismatches);
            }
        }
        Assert.True(mismatches.Count == 0, "C layout mismatches:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public void Constants_MatchCHeaders()
    {
        var probe = s_probe.Value;
        var mismatches = new List<string>();
        foreach (var field in InteropConstants())
        {
            probe.Compare(field.Name, Convert.ToInt64(field.GetRawConstantValue()), mismatches);
        }
        Assert.True(mismatches.Count == 0, "C constant mismatches:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public unsafe void Macros_MatchCHeaders()
    {
        var probe = s_probe.Value;
        var mismatches = new List<string>();
        foreach (var x in new[] { 0, 1, 15, 16, 17, 48, 50 })
        {
            probe.Compare($"TPACKET_ALIGN({x})", LibC.TPACKET_ALIGN(x), mismatches);
            probe.Compare($"NLMSG_ALIGN({x})", LibC.NLMSG_ALIGN(x), mismatches);
            probe.Compare($"RTA_ALIGN({x})", LibC.RTA_ALIGN(x), mismatches);
        }
        probe.Compare("(long long)MAP_FAILED", (long)LibC.MAP_FAILED, mismatches);
        Assert.True(mismatches.Count == 0, "C macro mismatches:\n" + string.Join("\n", mismatches));
    }

    /// <summary>
    /// The values VSwitch takes from Tmds.LibC instead of declaring them (<c>sched.h</c>, <c>sys/eventfd.h</c>), and
    /// the layout of its structs that VSwitch passes or reads: the members it uses, and sizes (<c>epoll_event</c> is
    /// VSwitch's own for <c>epoll_wait</c>, cast for Tmds.LibC's <c>epoll_ctl</c>: both must be the kernel's).
    /// </summary>
    public static IEnumerable<(string C, long Tmds)> TmdsValues() =>
    [
        ("CLONE_NEWNET", Tmds.Linux.LibC.CLONE_NEWNET),
        ("EFD_NONBLOCK", Tmds.Linux.LibC.EFD_NONBLOCK),
        ("EFD_CLOEXEC", Tmds.Linux.LibC.EFD_CLOEXEC),
        ("sizeof(cpu_set_t)", Unsafe.SizeOf<Tmds.Linux.cpu_set_t>()),
        .. Layout<Tmds.Linux.epoll_event>("events", "data"),
        .. Layout<Tmds.Linux.statx>("stx_mask", "stx_mode", "stx_size"),
        .. Layout<Tmds.Linux.io_uring_params>("sq_entries", "cq_entries", "features", "sq_off", "cq_off"),
        .. Layout<Tmds.Linux.io_sqring_offsets>("head", "tail", "ring_mask", "array"),
        .. Layout<Tmds.Linux.io_cqring_offsets>("head", "tail", "ring_mask", "cqes"),
        .. Layout<Tmds.Linux.io_uring_sqe>("opcode", "flags", "fd", "off", "addr", "len", "rw_flags", "user_data"),
        .. Layout<Tmds.Linux.io_uring_cqe>("user_data", "res", "flags"),
    ];

    /// <summary>The size of <typeparamref name="T"/> and the offset and size of each named member, as C expressions.</summary>
    private static IEnumerable<(string C, long Tmds)> Layout<T>(params string[] members)
    {
        var c = "struct " + typeof(T).Name;
        yield return ($"sizeof({c})", Unsafe.SizeOf<T>());
        foreach (var m in members)
        {
            yield return ($"offsetof({c}, {m})", Marshal.OffsetOf<T>(m).ToInt64());
            yield return ($"sizeof((({c}*)0)->{m})", SizeOf(typeof(T).GetField(m)!.FieldType));
        }
    }

    [Fact]
    public void TmdsLibC_TheValuesVSwitchTakesFromIt_MatchCHeaders()
    {
        var probe = s_probe.Value;
        var mismatches = new List<string>();
        foreach (var (c, tmds) in TmdsValues())
        {
            probe.Compare(c, tmds, mismatches);
        }
        Assert.True(mismatches.Count == 0, "Tmds.LibC mismatches:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public unsafe void TmdsLibC_AffinityAndEventfd_WorkThroughIt()
    {
        // The calls that moved: the CPUs this process may use are found, the thread can be pinned to one of them (and
        // put back), and an eventfd made by Tmds.LibC's binding rings through VSwitch's read and write.
        var cpus = VSwitch.Dataplane.Pipeline.ThreadAffinity.AllowedCpus();
        Assert.NotEmpty(cpus);
        var thread = new Thread(() => Assert.True(VSwitch.Dataplane.Pipeline.ThreadAffinity.PinCurrentThread(cpus[^1])));
        thread.Start();
        thread.Join();
        Assert.False(VSwitch.Dataplane.Pipeline.ThreadAffinity.PinCurrentThread(1 << 20));
        var fd = Tmds.Linux.LibC.eventfd(0, Tmds.Linux.LibC.EFD_NONBLOCK | Tmds.Linux.LibC.EFD_CLOEXEC);
        Assert.True(fd >= 0);
        try
        {
            ulong value = 0;
            Assert.Equal(-1, (long)LibC.read(fd, &value, 8));
            ulong two = 2;
            Assert.Equal(8, (long)LibC.write(fd, &two, 8));
            Assert.Equal(8, (long)LibC.read(fd, &value, 8));
            Assert.Equal(2UL, value);
        }
        finally
        {
            TmdsLibC.close(fd);
        }
    }

    [Fact]
    public void VirtioNetHeader_MatchesStructVirtioNetHdr()
    {
        var probe = s_probe.Value;
        var mismatches = new List<string>();
        probe.Compare("sizeof(struct virtio_net_hdr)", Unsafe.SizeOf<VirtioNetHeader>(), mismatches);
        probe.Compare("sizeof(struct virtio_net_hdr)", VirtioNetHeader.Size, mismatches);
        foreach (var (cs, c) in s_virtioFields)
        {
            probe.Compare($"offsetof(struct virtio_net_hdr, {c})", Marshal.OffsetOf<VirtioNetHeader>(cs).ToInt64(), mismatches);
            probe.Compare($"sizeof(((struct virtio_net_hdr*)0)->{c})", SizeOf(typeof(VirtioNetHeader).GetField(cs)!.FieldType), mismatches);
        }
        probe.Compare("VIRTIO_NET_HDR_F_NEEDS_CSUM", VirtioNetHeader.NeedsChecksum, mismatches);
        probe.Compare("VIRTIO_NET_HDR_F_DATA_VALID", VirtioNetHeader.DataValid, mismatches);
        probe.Compare("VIRTIO_NET_HDR_GSO_NONE", VirtioNetHeader.GsoNone, mismatches);
        probe.Compare("VIRTIO_NET_HDR_GSO_TCPV4", VirtioNetHeader.GsoTcpV4, mismatches);
        probe.Compare("VIRTIO_NET_HDR_GSO_UDP", VirtioNetHeader.GsoUdp, mismatches);
        probe.Compare("VIRTIO_NET_HDR_GSO_TCPV6", VirtioNetHeader.GsoTcpV6, mismatches);
        probe.Compare("VIRTIO_NET_HDR_GSO_ECN", VirtioNetHeader.GsoEcn, mismatches);
        Assert.True(mismatches.Count == 0, "virtio_net_hdr mismatches:\n" + string.Join("\n", mismatches));
    }

    private static long SizeOf(Type type) =>
        type.IsPointer
            ? IntPtr.Size
            : (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    /// <summary>The compiled probe's output: C expression → value.</summary>
    private sealed class Probe(Dictionary<string, long> values)
    {
        public void Compare(string expression, long expected, List<string> mismatches)
        {
            if (!values.TryGetValue(expression, out var actual))
            {
                mismatches.Add($"{expression}: not probed");
            }
            else if (actual != expected)
            {
                mismatches.Add($"{expression}: C {actual}, C# {expected}");
            }
        }

        /// <summary>Generates, compiles and runs the probe for every expression the tests compare.</summary>
        public static Probe Build()
        {
            var expressions = new List<string>();
            foreach (var type in InteropStructs())
            {
                var cType = (s_unions.Contains(type.Name) ? "union " : "struct ") + type.Name;
                expressions.Add($"sizeof({cType})");
                foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
                {
                    expressions.Add($"offsetof({cType}, {field.Name})");
                    expressions.Add($"sizeof((({cType}*)0)->{field.Name})");
                }
            }
            expressions.AddRange(InteropConstants().Select(f => f.Name));
            foreach (var x in new[] { 0, 1, 15, 16, 17, 48, 50 })
            {
                expressions.Add($"TPACKET_ALIGN({x})");
                expressions.Add($"NLMSG_ALIGN({x})");
                expressions.Add($"RTA_ALIGN({x})");
            }
            expressions.Add("(long long)MAP_FAILED");
            expressions.AddRange(TmdsValues().Select(v => v.C));
            expressions.Add("sizeof(struct virtio_net_hdr)");
            foreach (var (_, c) in s_virtioFields)
            {
                expressions.Add($"offsetof(struct virtio_net_hdr, {c})");
                expressions.Add($"sizeof(((struct virtio_net_hdr*)0)->{c})");
            }
            expressions.AddRange(["VIRTIO_NET_HDR_F_NEEDS_CSUM", "VIRTIO_NET_HDR_F_DATA_VALID", "VIRTIO_NET_HDR_GSO_NONE",
                "VIRTIO_NET_HDR_GSO_TCPV4", "VIRTIO_NET_HDR_GSO_UDP", "VIRTIO_NET_HDR_GSO_TCPV6", "VIRTIO_NET_HDR_GSO_ECN"]);

            var source = new StringBuilder("#define _GNU_SOURCE\n");
            foreach (var header in s_headers)
            {
                source.Append("#include <").Append(header).Append(">\n");
            }
            source.Append("int main(void)\n{\n");
            foreach (var e in expressions.Distinct())
            {
                source.Append("    printf(\"%s=%lld\\n\", \"").Append(e).Append("\", (long long)(").Append(e).Append("));\n");
            }
            source.Append("    return 0;\n}\n");

            var dir = Directory.CreateTempSubdirectory("vswitch-probe-");
            try
            {
                var c = Path.Combine(dir.FullName, "probe.c");
                var exe = Path.Combine(dir.FullName, "probe");
                File.WriteAllText(c, source.ToString());
                var (code, output) = Run("gcc", ["-o", exe, c]);
                Assert.True(code == 0, $"gcc failed ({code}):\n{output}");
                (code, output) = Run(exe, []);
                Assert.True(code == 0, $"probe failed ({code}):\n{output}");
                var values = new Dictionary<string, long>();
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = line.LastIndexOf('=');
                    values[line[..eq]] = long.Parse(line[(eq + 1)..]);
                }
                return new Probe(values);
            }
            finally
            {
                dir.Delete(recursive: true);
            }
        }

        private static (int Code, string Output) Run(string file, string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, "timed out");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
