using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux;

/// <summary>What <see cref="Rtnetlink"/> reports about an interface.</summary>
/// <param name="Index">The interface index (unique within its namespace).</param>
/// <param name="Name">The interface name.</param>
/// <param name="Flags">Device flags (<c>IFF_UP</c>, ...).</param>
/// <param name="Address">The link-layer address (zero when the interface has none).</param>
public readonly record struct LinkInfo(int Index, string Name, uint Flags, MacAddress Address)
{
    public bool IsUp => (Flags & LibC.IFF_UP) != 0;
}

/// <summary>
/// A minimal rtnetlink client for links: look one up, set it up or down, set its MAC, move it to another namespace,
/// delete it.
/// </summary>
/// <remarks>
/// What: one <c>NETLINK_ROUTE</c> socket and synchronous request/acknowledge exchanges (<c>RTM_GETLINK</c>,
/// <c>RTM_NEWLINK</c> on an existing index, <c>RTM_DELLINK</c>), each with <c>NLM_F_ACK</c> and its own sequence
/// number, reading until the matching <c>NLMSG_ERROR</c> arrives.
/// Why: the TAP backend must configure an interface that may live in another namespace. A netlink socket acts in the
/// namespace it was opened in, so opening one inside <see cref="NetworkNamespace.Run{T}"/> gives a client for that
/// namespace that works from any thread, without shelling out to <c>ip</c>.
/// Errors are returned as errno values (0 = success) so callers can word the message for their device.
/// Thread-safety: not thread-safe; the control plane uses one client per operation.
/// </remarks>
public sealed unsafe class Rtnetlink : IDisposable
{
    private const int HeaderSize = 16;      // NLMSG_HDRLEN
    private const int IfInfoSize = 16;      // NLMSG_ALIGN(sizeof(struct ifinfomsg))
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly byte[] _receive = GC.AllocateArray<byte>(ReceiveBufferSize, pinned: true);
    private int _fd;
    private uint _seq;

    private Rtnetlink(int fd)
    {
        _fd = fd;
        _seq = (uint)Environment.TickCount;
    }

    /// <summary>Opens a client for the calling thread's network namespace.</summary>
    public static Rtnetlink Open()
    {
        var fd = TmdsLibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new PortException($"rtnetlink: socket failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var addr = new sockaddr_nl { nl_family = LibC.AF_NETLINK };
        if (TmdsLibC.bind(fd, (Tmds.Linux.sockaddr*)&addr, (uint)sizeof(sockaddr_nl)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = TmdsLibC.close(fd);
            throw new PortException($"rtnetlink: bind failed: {LibC.StrError(errno)}");
        }
        return new Rtnetlink(fd);
    }

    /// <summary>Looks an interface up by name; null when there is none (ENODEV).</summary>
    public LinkInfo? GetLink(string name)
    {
        Span<byte> msg = stackalloc byte[128];
        var len = Begin(msg, LibC.RTM_GETLINK, 0);
        len = AddStringAttribute(msg, len, LibC.IFLA_IFNAME, name);
        var errno = Transact(msg[..len], out var link);
        return errno == 0 ? link : errno == LibC.ENODEV ? null : throw new PortException($"rtnetlink: looking up interface '{name}' failed: {LibC.StrError(errno)}");
    }

    /// <summary>Looks an interface up by index; null when there is none.</summary>
    public LinkInfo? GetLink(int index)
    {
        Span<byte> msg = stackalloc byte[64];
        var len = Begin(msg, LibC.RTM_GETLINK, index);
        var errno = Transact(msg[..len], out var link);
        return errno == 0 ? link : errno == LibC.ENODEV ? null : throw new PortException($"rtnetlink: looking up interface {index} failed: {LibC.StrError(errno)}");
    }

    /// <summary>Sets the interface administratively up or down; returns 0 or an errno.</summary>
    public int SetUp(int index, bool up)
    {
        Span<byte> msg = stackalloc byte[64];
        var len = Begin(msg, LibC.RTM_NEWLINK, index);
        ref var ifi = ref MemoryMarshal.AsRef<ifinfomsg>(msg[HeaderSize..]);
        ifi.ifi_flags = up ? (uint)LibC.IFF_UP : 0;
        ifi.ifi_change = LibC.IFF_UP;
        return Transact(msg[..len], out _);
    }

    /// <summary>Sets the interface's MAC address (<c>IFLA_ADDRESS</c>); returns 0 or an errno.</summary>
    public int SetAddress(int index, MacAddress mac)
    {
        Span<byte> msg = stackalloc byte[64];
        Span<byte> bytes = stackalloc byte[6];
        mac.Write(bytes);
        var len = Begin(msg, LibC.RTM_NEWLINK, index);
        len = AddAttribute(msg, len, LibC.IFLA_ADDRESS, bytes);
        return Transact(msg[..len], out _);
    }

    /// <summary>Moves the interface into the namespace <paramref name="namespaceFd"/> refers to; returns 0 or an errno.</summary>
    public int MoveToNamespace(int index, int namespaceFd)
    {
        Span<byte> msg = stackalloc byte[64];
        Span<byte> fd = stackalloc byte[4];
        MemoryMarshal.Write(fd, namespaceFd);
        var len = Begin(msg, LibC.RTM_NEWLINK, index);
        len = AddAttribute(msg, len, LibC.IFLA_NET_NS_FD, fd);
        return Transact(msg[..len], out _);
    }

    /// <summary>Deletes the interface; returns 0 or an errno (ENODEV when it is already gone).</summary>
    public int Delete(int index)
    {
        Span<byte> msg = stackalloc byte[64];
        var len = Begin(msg, LibC.RTM_DELLINK, index);
        return Transact(msg[..len], out _);
    }

    /// <summary>Writes the netlink header and an <c>ifinfomsg</c>; returns the length so far.</summary>
    private int Begin(Span<byte> msg, int type, int index)
    {
        msg.Clear();
        ref var hdr = ref MemoryMarshal.AsRef<nlmsghdr>(msg);
        hdr.nlmsg_type = (ushort)type;
        hdr.nlmsg_flags = LibC.NLM_F_REQUEST | LibC.NLM_F_ACK;
        hdr.nlmsg_seq = ++_seq;
        ref var ifi = ref MemoryMarshal.AsRef<ifinfomsg>(msg[HeaderSize..]);
        ifi.ifi_family = LibC.AF_UNSPEC;
        ifi.ifi_index = index;
        return HeaderSize + IfInfoSize;
    }

    private static int AddStringAttribute(Span<byte> msg, int len, int type, string value)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[^1] = 0;
        return AddAttribute(msg, len, type, bytes);
    }

    private static int AddAttribute(Span<byte> msg, int len, int type, ReadOnlySpan<byte> value)
    {
        ref var rta = ref MemoryMarshal.AsRef<rtattr>(msg[len..]);
        rta.rta_len = (ushort)(sizeof(rtattr) + value.Length);
        rta.rta_type = (ushort)type;
        value.CopyTo(msg[(len + sizeof(rtattr))..]);
        return len + LibC.RTA_ALIGN(sizeof(rtattr) + value.Length);
    }

    /// <summary>Sends one request and reads replies until its acknowledgement; returns 0 or the errno it carried.</summary>
    private int Transact(Span<byte> request, out LinkInfo? link)
    {
        link = null;
        ref var hdr = ref MemoryMarshal.AsRef<nlmsghdr>(request);
        hdr.nlmsg_len = (uint)request.Length;
        var seq = hdr.nlmsg_seq;
        fixed (byte* p = request)
        {
            if (LibC.send(_fd, p, (nuint)request.Length, 0) < 0)
            {
                return Marshal.GetLastPInvokeError();
            }
        }

        fixed (byte* buffer = _receive)
        {
            while (true)
            {
                var n = LibC.recv(_fd, buffer, ReceiveBufferSize, 0);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }
                    return errno;
                }
                var offset = 0;
                while (offset + HeaderSize <= n)
                {
                    var msg = (nlmsghdr*)(buffer + offset);
                    if (msg->nlmsg_len < HeaderSize || offset + msg->nlmsg_len > n)
                    {
                        break;
                    }
                    if (msg->nlmsg_seq == seq)
                    {
                        if (msg->nlmsg_type == LibC.NLMSG_ERROR)
                        {
                            return -((nlmsgerr*)((byte*)msg + HeaderSize))->error;
                        }
                        if (msg->nlmsg_type == LibC.RTM_NEWLINK)
                        {
                            link = ParseLink(new ReadOnlySpan<byte>(msg, (int)msg->nlmsg_len));
                        }
                    }
                    offset += LibC.NLMSG_ALIGN((int)msg->nlmsg_len);
                }
            }
        }
    }

    private static LinkInfo ParseLink(ReadOnlySpan<byte> msg)
    {
        var ifi = MemoryMarshal.Read<ifinfomsg>(msg[HeaderSize..]);
        var name = "";
        var mac = default(MacAddress);
        var offset = HeaderSize + IfInfoSize;
        while (offset + sizeof(rtattr) <= msg.Length)
        {
            var rta = MemoryMarshal.Read<rtattr>(msg[offset..]);
            if (rta.rta_len < sizeof(rtattr) || offset + rta.rta_len > msg.Length)
            {
                break;
            }
            var value = msg.Slice(offset + sizeof(rtattr), rta.rta_len - sizeof(rtattr));
            if (rta.rta_type == LibC.IFLA_IFNAME)
            {
                var end = value.IndexOf((byte)0);
                name = Encoding.UTF8.GetString(end >= 0 ? value[..end] : value);
            }
            else if (rta.rta_type == LibC.IFLA_ADDRESS && value.Length == 6)
            {
                mac = MacAddress.Read(value);
            }
            offset += LibC.RTA_ALIGN(rta.rta_len);
        }
        return new LinkInfo(ifi.ifi_index, name, ifi.ifi_flags, mac);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = TmdsLibC.close(fd);
        }
    }
}
