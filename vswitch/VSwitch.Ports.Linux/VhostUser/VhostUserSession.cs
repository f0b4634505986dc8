// VhostUserSession: one front-end connection's protocol, from GET_FEATURES to the rings running in the workers.
//
// What
//   The back-end half of QEMU's docs/interop/vhost-user.rst: feature and protocol-feature negotiation (REPLY_ACK,
//   MQ), the owner, the memory table (GuestMemory), and per ring its size, addresses, base, kick, call, error and
//   enable. After every request that can change what runs, Apply works out which rings run (memory mapped, size and
//   addresses known, kicked, enabled), builds their Virtqueues, and hands each worker its QueueView; a ring that
//   stops or must be rebuilt (new memory, call descriptor or features) is first taken from the workers, then waited
//   for, and only then is anything it used closed or unmapped.
//
// Why
//   The control thread owns every decision and every descriptor; the workers see nothing but immutable views. A
//   front-end's mistake (a bad ring index, size or address, a memory table that does not fit its files) ends the
//   connection with the reason kept for the operator, never the switch. Requests this back-end does not offer
//   (dirty-page logging, the back-end channel, configuration space) are refused, with a failure status when the
//   front-end asked for one.
//
// Thread-safety
//   Run executes on the port's control thread; Status is read by any thread.

using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>One connection's protocol state (see the file's header).</summary>
internal sealed unsafe class VhostUserSession
{
    /// <summary>The protocol features offered: multiqueue and REPLY_ACK.</summary>
    public const ulong OfferedProtocolFeatures = (1UL << VhostUserProtocol.ProtocolMq) | (1UL << VhostUserProtocol.ProtocolReplyAck);

    /// <summary>GET_FEATURES' answer: the virtio features and "protocol features supported".</summary>
    public const ulong OfferedFeatures = VirtioNetOffloads.Offered | (1UL << VhostUserProtocol.FeatureProtocolFeatures);

    private readonly VhostUserChannel _channel;
    private readonly VhostUserQueue[] _queues;
    private readonly RingState[] _rings;
    private ulong _features;
    private ulong _protocolFeatures;
    private VirtioNetOffloads _offloads = VirtioNetOffloads.From(0);
    private GuestMemory? _memory;

    private sealed class RingState
    {
        public int Size;
        public vhost_vring_addr Addr;
        public bool HasAddr;
        public ushort Base;
        public int KickFd = -1;
        public int CallFd = -1;
        public bool Started;
        public bool Enabled;
        public Virtqueue? Active;
    }

    public VhostUserSession(VhostUserChannel channel, VhostUserQueue[] queues)
    {
        _channel = channel;
        _queues = queues;
        _rings = new RingState[queues.Length * 2];
        for (var i = 0; i < _rings.Length; i++)
        {
            _rings[i] = new RingState();
        }
    }

    /// <summary>Queue pairs whose transmit ring runs now.</summary>
    public int ActivePairs { get; private set; }

    /// <summary>The negotiated offloads.</summary>
    public VirtioNetOffloads Offloads => _offloads;

    /// <summary>Guest-ring errors found by the workers are reported here by the port; the session only stops.</summary>
    public string? GuestError { get; set; }

    /// <summary>Serves the connection until the front-end closes it; throws <see cref="VhostUserException"/> when it breaks the protocol.</summary>
    public void Run()
    {
        var payload = new byte[VhostUserProtocol.MaxPayloadSize];
        Span<int> fds = stackalloc int[VhostUserProtocol.MaxFds];
        try
        {
            while (_channel.TryReceive(out var header, payload, out var length, fds, out var fdCount))
            {
                var taken = new bool[fdCount];
                try
                {
                    Handle(header, payload.AsSpan(0, length), fds.Slice(0, fdCount), taken);
                }
                catch (VhostUserException) when ((header.Flags & VhostUserProtocol.NeedReplyFlag) != 0 && ReplyAck && !HasNativeReply(header.Request))
                {
                    TryReplyStatus(header.Request, 1);
                    throw;
                }
                finally
                {
                    for (var i = 0; i < fdCount; i++)
                    {
                        if (!taken[i])
                        {
                            TmdsLibC.close(fds[i]);
                        }
                    }
                }
                if ((header.Flags & VhostUserProtocol.NeedReplyFlag) != 0 && ReplyAck && !HasNativeReply(header.Request))
                {
                    _channel.Reply(header.Request, 0UL);
                }
            }
        }
        finally
        {
            Stop();
        }
    }

    private bool ReplyAck => (_protocolFeatures & (1UL << VhostUserProtocol.ProtocolReplyAck)) != 0;

    private static bool HasNativeReply(uint request) => (VhostUserRequest)request is VhostUserRequest.GetFeatures
        or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetVringBase or VhostUserRequest.GetQueueNum;

    private void TryReplyStatus(uint request, ulong status)
    {
        try
        {
            _channel.Reply(request, status);
        }
        catch (VhostUserException)
        {
            // The connection is going anyway.
        }
    }

    private void Handle(VhostUserHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<bool> taken)
    {
        var request = (VhostUserRequest)header.Request;
        switch (request)
        {
            case VhostUserRequest.GetFeatures:
                _channel.Reply(header.Request, OfferedFeatures);
                break;
            case VhostUserRequest.SetFeatures:
                _features = U64(request, payload) & OfferedFeatures;
                _offloads = VirtioNetOffloads.From(_features);
                Apply(restart: true);
                break;
            case VhostUserRequest.GetProtocolFeatures:
                _channel.Reply(header.Request, OfferedProtocolFeatures);
                break;
            case VhostUserRequest.SetProtocolFeatures:
                _protocolFeatures = U64(request, payload) & OfferedProtocolFeatures;
                break;
            case VhostUserRequest.GetQueueNum:
                _channel.Reply(header.Request, (ulong)_queues.Length);
                break;
            case VhostUserRequest.SetOwner:
                break;
            case VhostUserRequest.ResetOwner:
                foreach (var ring in _rings)
                {
                    ring.Started = false;
                    ring.Enabled = false;
                }
                Apply(restart: false);
                _features = 0;
                _offloads = VirtioNetOffloads.From(0);
                break;
            case VhostUserRequest.SetMemTable:
                SetMemTable(payload, fds);
                break;
            case VhostUserRequest.SetVringNum:
                {
                    var state = State(request, payload);
                    Ring(request, state.index).Size = (int)state.num;
                    if (state.num is < 1 or > Virtqueue.MaxSize || (state.num & (state.num - 1)) != 0)
                    {
                        throw new VhostUserException($"SET_VRING_NUM: ring {state.index} size {state.num} is not a power of two up to {Virtqueue.MaxSize}");
                    }
                    Apply(restart: true);
                    break;
                }
            case VhostUserRequest.SetVringAddr:
                {
                    if (payload.Length < sizeof(vhost_vring_addr))
                    {
                        throw new VhostUserException($"SET_VRING_ADDR: payload of {payload.Length} bytes");
                    }
                    var addr = MemoryMarshal.Read<vhost_vring_addr>(payload);
                    var ring = Ring(request, addr.index);
                    ring.Addr = addr;
                    ring.HasAddr = true;
                    Apply(restart: true);
                    break;
                }
            case VhostUserRequest.SetVringBase:
                {
                    var state = State(request, payload);
                    Ring(request, state.index).Base = (ushort)state.num;
                    Apply(restart: true);
                    break;
                }
            case VhostUserRequest.GetVringBase:
                {
                    var state = State(request, payload);
                    var ring = Ring(request, state.index);
                    // The ring stops: taken from the workers before its position is read.
                    ring.Started = false;
                    Apply(restart: false);
                    Span<byte> reply = stackalloc byte[8];
                    MemoryMarshal.Write(reply, new vhost_vring_state { index = state.index, num = ring.Base });
                    _channel.Reply(header.Request, reply);
                    break;
                }
            case VhostUserRequest.SetVringKick:
                {
                    var (ring, fd) = RingFile(request, payload, fds, taken);
                    if (fd < 0)
                    {
                        throw new VhostUserException("SET_VRING_KICK without a file descriptor (polling mode is not supported)");
                    }
                    // Non-blocking: the worker reads it only to clear it.
                    var flags = TmdsLibC.fcntl(fd, LibC.F_GETFL, 0);
                    TmdsLibC.fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK);
                    var old = ring.KickFd;
                    ring.KickFd = fd;
                    ring.Started = true;
                    if (!ProtocolFeaturesNegotiated)
                    {
                        ring.Enabled = true;
                    }
                    Apply(restart: false);
                    Close(old);
                    break;
                }
            case VhostUserRequest.SetVringCall:
                {
                    var (ring, fd) = RingFile(request, payload, fds, taken);
                    var old = ring.CallFd;
                    ring.CallFd = fd;
                    Apply(restart: ring.Active is not null);
                    Close(old);
                    break;
                }
            case VhostUserRequest.SetVringErr:
                RingFile(request, payload, fds, taken);
                // Taken only to be closed: the back-end reports errors through the port's status instead.
                taken.Fill(false);
                break;
            case VhostUserRequest.SetVringEnable:
                {
                    var state = State(request, payload);
                    Ring(request, state.index).Enabled = state.num != 0;
                    Apply(restart: false);
                    break;
                }
            case VhostUserRequest.SendRarp:
            case VhostUserRequest.NetSetMtu:
                break;
            default:
                throw new VhostUserException($"request {header.Request} is not supported by this back-end");
        }
    }

    /// <summary>True when the front-end set VHOST_USER_F_PROTOCOL_FEATURES: rings then start disabled until SET_VRING_ENABLE.</summary>
    private bool ProtocolFeaturesNegotiated => (_features & (1UL << VhostUserProtocol.FeatureProtocolFeatures)) != 0;

    private void SetMemTable(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds)
    {
        var memory = GuestMemory.Map(payload, fds);
        var old = _memory;
        // Rings move to the new memory at the same addresses and positions (a front-end may send a new table while
        // they run, as QEMU does on memory hot-plug); the old mapping goes once no worker can touch it.
        _memory = memory;
        Apply(restart: true);
        old?.Dispose();
    }

    /// <summary>
    /// Makes the workers' views match the rings' state: rings that should no longer run (or that
    /// <paramref name="restart"/> asks to rebuild) are taken away and waited for first; then the rings that should run
    /// are built and handed out.
    /// </summary>
    private void Apply(bool restart)
    {
        var stopped = false;
        foreach (var ring in _rings)
        {
            if (ring.Active is not null && (restart || !ShouldRun(ring)))
            {
                ring.Base = ring.Active.LastAvail;
                ring.Active = null;
                stopped = true;
            }
        }
        if (stopped)
        {
            Install();
        }
        for (var i = 0; i < _rings.Length; i++)
        {
            var ring = _rings[i];
            if (ring.Active is null && ShouldRun(ring))
            {
                ring.Active = new Virtqueue(i, _memory!, ring.Size, in ring.Addr, ring.Base,
                    (_features & (1UL << LibC.VIRTIO_RING_F_EVENT_IDX)) != 0,
                    (_features & (1UL << LibC.VIRTIO_RING_F_INDIRECT_DESC)) != 0,
                    ring.CallFd);
            }
        }
        Install();
    }

    private bool ShouldRun(RingState ring) => _memory is not null && ring.Size > 0 && ring.HasAddr && ring.Started && ring.Enabled && ring.KickFd >= 0;

    /// <summary>Hands every worker its rings (sharing a receive ring when the front-end runs fewer pairs) and waits for them.</summary>
    private void Install()
    {
        var receiveRings = new List<Virtqueue>();
        for (var q = 0; q < _queues.Length; q++)
        {
            if (_rings[2 * q].Active is { } rx)
            {
                receiveRings.Add(rx);
            }
        }
        var writers = new Dictionary<Virtqueue, int>();
        var chosen = new Virtqueue?[_queues.Length];
        for (var q = 0; q < _queues.Length; q++)
        {
            chosen[q] = _rings[2 * q].Active ?? (receiveRings.Count == 0 ? null : receiveRings[q % receiveRings.Count]);
            if (chosen[q] is { } ring)
            {
                writers[ring] = writers.GetValueOrDefault(ring) + 1;
            }
        }
        var pairs = 0;
        for (var q = 0; q < _queues.Length; q++)
        {
            var tx = _rings[(2 * q) + 1];
            pairs += tx.Active is not null ? 1 : 0;
            var rx = chosen[q];
            _queues[q].Install(tx.Active is null && rx is null ? null
                : new QueueView(tx.Active, rx, rx is not null && writers[rx] > 1, tx.Active is not null ? tx.KickFd : -1, _offloads));
        }
        foreach (var queue in _queues)
        {
            queue.WaitIdle();
        }
        ActivePairs = pairs;
    }

    /// <summary>Takes every ring from the workers and closes every descriptor and the memory (the connection ended).</summary>
    private void Stop()
    {
        foreach (var ring in _rings)
        {
            ring.Active = null;
        }
        foreach (var queue in _queues)
        {
            queue.Install(null);
        }
        foreach (var queue in _queues)
        {
            queue.WaitIdle();
        }
        foreach (var ring in _rings)
        {
            Close(ring.KickFd);
            Close(ring.CallFd);
            ring.KickFd = ring.CallFd = -1;
        }
        _memory?.Dispose();
        _memory = null;
        ActivePairs = 0;
    }

    private RingState Ring(VhostUserRequest request, uint index) =>
        index < (uint)_rings.Length ? _rings[index] : throw new VhostUserException($"{request}: ring {index} is beyond the {_rings.Length / 2} queue pairs offered");

    private static ulong U64(VhostUserRequest request, ReadOnlySpan<byte> payload) =>
        payload.Length >= 8 ? MemoryMarshal.Read<ulong>(payload) : throw new VhostUserException($"{request}: payload of {payload.Length} bytes, expected 8");

    private static vhost_vring_state State(VhostUserRequest request, ReadOnlySpan<byte> payload) =>
        payload.Length >= sizeof(vhost_vring_state)
            ? MemoryMarshal.Read<vhost_vring_state>(payload)
            : throw new VhostUserException($"{request}: payload of {payload.Length} bytes, expected {sizeof(vhost_vring_state)}");

    /// <summary>The ring and the descriptor of SET_VRING_KICK/CALL/ERR (-1 with the no-fd flag); the descriptor is marked taken.</summary>
    private (RingState Ring, int Fd) RingFile(VhostUserRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<bool> taken)
    {
        var value = U64(request, payload);
        var ring = Ring(request, (uint)(value & VhostUserProtocol.VringIndexMask));
        if ((value & VhostUserProtocol.VringNoFdFlag) != 0)
        {
            return (ring, -1);
        }
        if (fds.Length != 1)
        {
            throw new VhostUserException($"{request}: expected one file descriptor, got {fds.Length}");
        }
        taken[0] = true;
        return (ring, fds[0]);
    }

    private static void Close(int fd)
    {
        if (fd >= 0)
        {
            TmdsLibC.close(fd);
        }
    }
}
