using System.Globalization;
using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;

namespace VSwitch.Ports.Linux;

/// <summary>
/// A port on an existing interface through packet sockets: <c>afpacket:IFNAME[?rx=v2|v3]</c> (the host end of a veth,
/// a VM's <c>vnetN</c> tap, a NIC).
/// </summary>
/// <remarks>
/// What: one <see cref="AfPacketQueue"/> per queue (a memory-mapped RX ring and <c>sendmmsg</c> TX, with virtio-net
/// headers), all bound to the interface. The RX ring is TPACKET_V2 (<see cref="AfPacketV2Ring"/>, the default,
/// <see cref="DefaultRx"/>) or, with <c>?rx=v3</c>, TPACKET_V3 (<see cref="AfPacketV3Ring"/>); all queues of a port
/// use the same. With more than one queue the sockets form a <c>PACKET_FANOUT_HASH</c> group whose id the kernel
/// picks (<c>PACKET_FANOUT_FLAG_UNIQUEID</c>, so ports never collide, also across processes); the kernel spreads flows
/// over the queues by a symmetric flow hash, so both directions of a connection land on one worker. The interface is brought up if it is down and put in promiscuous mode for as long as the port exists.
/// Why: the interface belongs to someone else (a hypervisor, a container runtime), so the switch attaches to it and
/// never creates or deletes it. V2 by default because it hands each frame over at once: a ping or a TCP
/// request/response through V3 waits for its block's 1 ms retire timer at every hop (perf/RESULTS.md has both).
/// Failure: when the interface goes down or is deleted the kernel sets ENETDOWN on every socket bound to it (and they
/// poll EPOLLERR). The ring reports that error; the port then looks the interface index up: if it still exists the
/// link was only taken down and the sockets resume when it comes back up (the kernel re-hooks them); if it is gone
/// (deleted, moved to another namespace) <see cref="Failure"/> is set and Receive/Transmit return 0 from then on.
/// Thread-safety: queue q is used only by worker q; <see cref="Failure"/> is published with Interlocked/Volatile.
/// </remarks>
public sealed unsafe class AfPacketPort : IPort
{
    private readonly AfPacketQueue[] _queues;
    private string? _failure;
    private int _disposed;

    private AfPacketPort(string device, string name, int ifIndex, AfPacketQueue[] queues)
    {
        Device = device;
        Name = name;
        IfIndex = ifIndex;
        _queues = queues;
    }

    public string Device { get; }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>The interface index the sockets are bound to.</summary>
    public int IfIndex { get; }

    public int QueueCount => _queues.Length;

    /// <summary>The receive ring used when the device string does not say (<c>afpacket:IF</c>).</summary>
    public const AfPacketRx DefaultRx = AfPacketRx.V2;

    /// <summary>The receive ring version of the queues.</summary>
    public AfPacketRx Rx => _queues[0].Rx;

    /// <summary>The fanout group of the queues, or -1 for a single queue.</summary>
    public int FanoutGroup => _queues[0].FanoutGroup;

    public string? Failure => Volatile.Read(ref _failure);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Details => new Dictionary<string, string>
    {
        ["queues"] = QueueCount.ToString(CultureInfo.InvariantCulture),
        ["rx"] = DeviceString.OptionValue(Rx),
    };

    /// <summary>Opens packet sockets on the existing interface named by <paramref name="device"/>.</summary>
    public static AfPacketPort Open(string device, int queueCount)
    {
        var parsed = DeviceString.Parse(device);
        if (parsed.Kind != LinuxPortKind.AfPacket)
        {
            throw new PortException($"device '{device}' is not an afpacket: device");
        }
        if (queueCount is < 1 or > PacketFanoutMaxMembers)
        {
            throw new PortException($"{device}: queue count {queueCount} is outside 1..{PacketFanoutMaxMembers}");
        }
        var name = parsed.Name;

        LinkInfo link;
        using (var nl = Rtnetlink.Open())
        {
            link = nl.GetLink(name) ?? throw new PortException($"{device}: interface {name} does not exist");
            if (!link.IsUp)
            {
                var errno = nl.SetUp(link.Index, up: true);
                if (errno != 0)
                {
                    throw new PortException($"{device}: bringing {name} up failed: {LibC.StrError(errno)}");
                }
            }
        }

        var rx = parsed.Rx ?? DefaultRx;
        var queues = new AfPacketQueue[queueCount];
        var opened = 0;
        try
        {
            var group = -1;
            for (; opened < queueCount; opened++)
            {
                queues[opened] = AfPacketQueue.Open(device, link.Index, rx, fanout: queueCount > 1, group, promiscuous: opened == 0);
                group = queues[opened].FanoutGroup;
            }
        }
        catch
        {
            for (var i = 0; i < opened; i++)
            {
                queues[i].Dispose();
            }
            throw;
        }
        return new AfPacketPort(device, name, link.Index, queues);
    }

    /// <summary>Most queues per port (kernels before 5.x allowed 256 sockets per fanout group).</summary>
    public const int PacketFanoutMaxMembers = 256;

    public int GetReadyFd(int queue) => _queues[queue].Fd;

    public int Receive(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (Volatile.Read(ref _failure) is not null)
        {
            return 0;
        }
        var count = _queues[queue].Receive(batch, ref errors, out var socketError);
        if (socketError != 0)
        {
            OnSocketError(socketError, "receive");
        }
        return count;
    }

    public int Transmit(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (Volatile.Read(ref _failure) is not null)
        {
            return 0;
        }
        var sent = _queues[queue].Transmit(batch, ref errors, out var hardError);
        if (hardError != 0)
        {
            OnSocketError(hardError, "transmit");
        }
        return sent;
    }

    /// <summary>
    /// Decides whether a socket error is fatal: it is when the interface index no longer exists. A link that is only
    /// down keeps the port (the kernel resumes delivery when it comes back up).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnSocketError(int errno, string operation)
    {
        var name = stackalloc byte[LibC.IFNAMSIZ];
        if (LibC.if_indextoname((uint)IfIndex, name) != null)
        {
            return;
        }
        var reason = $"{Device}: interface {Name} (index {IfIndex}) vanished ({operation}: {LibC.StrError(errno)})";
        Interlocked.CompareExchange(ref _failure, reason, null);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }
}
