using System.Diagnostics;
using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>
/// A vhost-user front-end for tests: it plays QEMU (the protocol's front-end: features, memory table, rings, fds) and
/// the guest's virtio-net driver (it owns the guest RAM and the split virtqueues, posts TX chains and RX buffers and
/// reads the used rings). Written from QEMU's docs/interop/vhost-user.rst and the virtio 1.x specification (2.7 split
/// virtqueues, 5.1 network device), independently of the switch's back-end.
/// </summary>
/// <remarks>
/// Ring 2q is queue pair q's receive virtqueue (back-end to front-end), 2q+1 its transmit virtqueue. One thread
/// drives an instance (the test's); nothing runs in the background.
/// </remarks>
internal sealed unsafe class VirtioTestFrontend : IDisposable
{
    private static readonly TimeSpan s_sendWait = TimeSpan.FromSeconds(5);

    private readonly FrontendOptions _options;
    private readonly VhostUserSocket _socket;
    private readonly VhostUserListener? _listener;
    private readonly GuestMemoryView _memory;
    private readonly List<VhostUserRequest> _sent = [];
    private SplitRingDriver[] _rings = [];
    private long[] _completedSends = [];
    private VhostUserRequest _last;
    private bool _started;

    private VirtioTestFrontend(VhostUserSocket socket, VhostUserListener? listener, FrontendOptions options)
    {
        if (options.RingSize is < 1 or > 32768 || (options.RingSize & (options.RingSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RingSize, "RingSize is a power of 2 up to 32768");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.QueuePairs);
        const ulong unsupported = (1UL << LibC.VIRTIO_F_RING_PACKED) | (1UL << LibC.VIRTIO_F_IN_ORDER) | (1UL << LibC.VIRTIO_F_ACCESS_PLATFORM);
        if ((options.Features & unsupported) != 0)
        {
            throw new ArgumentException("the test frontend drives split rings, used in any order, without an IOMMU: leave VIRTIO_F_RING_PACKED, VIRTIO_F_IN_ORDER and VIRTIO_F_ACCESS_PLATFORM out", nameof(options));
        }
        _options = options;
        _socket = socket;
        _listener = listener;
        _memory = GuestMemoryView.Create(options.MemoryMiB, options.Regions);
    }

    /// <summary>The switch listens (server mode): connects to it, as QEMU's <c>-chardev socket,path=P</c> does.</summary>
    public static VirtioTestFrontend Connect(string socketPath, FrontendOptions options, TimeSpan? connectTimeout = null)
    {
        var socket = VhostUserSocket.Connect(socketPath, connectTimeout ?? TimeSpan.FromSeconds(5));
        try
        {
            return new VirtioTestFrontend(socket, null, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The switch connects (client mode): listens at <paramref name="socketPath"/>, as QEMU's <c>server=on</c> does, and
    /// accepts the next connection. The listening socket stays (bound, not accepting) until <see cref="Disconnect"/>.
    /// </summary>
    public static VirtioTestFrontend Listen(string socketPath, FrontendOptions options, TimeSpan acceptTimeout)
    {
        var listener = VhostUserListener.Listen(socketPath);
        VhostUserSocket? socket = null;
        try
        {
            socket = listener.Accept(acceptTimeout);
            return new VirtioTestFrontend(socket, listener, options);
        }
        catch
        {
            socket?.Dispose();
            listener.Dispose();
            throw;
        }
    }

    /// <summary>A frontend on an already connected socket (the unit tests' scripted back-end holds the other end).</summary>
    public static VirtioTestFrontend Over(VhostUserSocket socket, FrontendOptions options) => new(socket, null, options);

    public FrontendOptions Options => _options;

    /// <summary>What <c>GET_FEATURES</c> said.</summary>
    public ulong BackendFeatures { get; private set; }

    /// <summary>What <c>SET_FEATURES</c> sent: the options' features the back-end offered.</summary>
    public ulong NegotiatedFeatures { get; private set; }

    /// <summary>What <c>GET_PROTOCOL_FEATURES</c> said (0 without <c>VHOST_USER_F_PROTOCOL_FEATURES</c>).</summary>
    public ulong BackendProtocolFeatures { get; private set; }

    /// <summary>What <c>SET_PROTOCOL_FEATURES</c> sent.</summary>
    public ulong NegotiatedProtocolFeatures { get; private set; }

    /// <summary>What <c>GET_QUEUE_NUM</c> said (queue pairs, as QEMU reads it), or 0 when it was not asked.</summary>
    public ulong BackendQueueNum { get; private set; }

    /// <summary>Queue pairs actually started.</summary>
    public int QueuePairs { get; private set; }

    /// <summary>Bytes of the virtio-net header in front of every frame: 12 with VERSION_1 or MRG_RXBUF, else 10.</summary>
    public int HeaderLength => Has(LibC.VIRTIO_F_VERSION_1) || Has(LibC.VIRTIO_NET_F_MRG_RXBUF) ? 12 : VirtioNetHeader.Size;

    public bool Mergeable => Has(LibC.VIRTIO_NET_F_MRG_RXBUF);

    /// <summary>Bytes of each RX buffer the frontend posts (header included).</summary>
    public int RxBufferSize { get; private set; }

    /// <summary>RX buffers kept posted on each RX ring.</summary>
    public int RxBuffersPerRing { get; private set; }

    /// <summary>
    /// <c>num_buffers</c> of the last frame <see cref="TryReceive"/> returned, as the back-end wrote it (0 when it did not
    /// write it: the frontend zeroes the field before posting a buffer). Always 1 by the spec; only read for merging
    /// when MRG_RXBUF was negotiated, as Linux's driver does.
    /// </summary>
    public ushort LastNumBuffers { get; private set; }

    /// <summary>Every request the frontend sent, in order.</summary>
    public IReadOnlyList<VhostUserRequest> SentRequests => _sent;

    public bool IsConnected => !_socket.IsClosed;

    /// <summary>The guest's RAM (raw access for misbehaviour tests).</summary>
    public GuestMemoryView Memory => _memory;

    /// <summary>Ring <paramref name="index"/>: 2q is pair q's RX virtqueue, 2q+1 its TX virtqueue.</summary>
    public SplitRingDriver Ring(int index) => _rings[index];

    /// <summary>
    /// The handshake as QEMU does it: <c>GET_FEATURES</c>; <c>GET/SET_PROTOCOL_FEATURES</c> when both sides want
    /// bit 30; <c>GET_QUEUE_NUM</c> with the MQ protocol feature; <c>SET_OWNER</c>; <c>SET_FEATURES</c>;
    /// <c>SET_MEM_TABLE</c>; per ring <c>SET_VRING_NUM/ADDR/BASE</c>, RX buffers posted, <c>SET_VRING_KICK/CALL</c>;
    /// then <c>SET_VRING_ENABLE</c> per ring when protocol features were negotiated. With REPLY_ACK every request
    /// without a reply of its own asks for one and must be acknowledged with 0.
    /// </summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("Start runs once per connection");
        }
        _started = true;

        BackendFeatures = Exchange(VhostUserMessage.Empty(VhostUserRequest.GetFeatures)).ReadU64();
        var protocol = (_options.Features & BackendFeatures & FrontendOptions.ProtocolFeatures) != 0;
        if (protocol)
        {
            BackendProtocolFeatures = Exchange(VhostUserMessage.Empty(VhostUserRequest.GetProtocolFeatures)).ReadU64();
            const ulong wanted = (1UL << VhostUserProtocolFeature.Mq) | (1UL << VhostUserProtocolFeature.ReplyAck);
            NegotiatedProtocolFeatures = BackendProtocolFeatures & wanted;
            // REPLY_ACK is not in force until this message has been processed: QEMU sends it without NEED_REPLY.
            Post(VhostUserMessage.U64(VhostUserRequest.SetProtocolFeatures, NegotiatedProtocolFeatures), ack: false);
        }

        var pairs = _options.QueuePairs;
        if (HasProtocol(VhostUserProtocolFeature.Mq))
        {
            BackendQueueNum = Exchange(VhostUserMessage.Empty(VhostUserRequest.GetQueueNum)).ReadU64();
            if ((ulong)pairs > BackendQueueNum)
            {
                throw new InvalidOperationException($"{pairs} queue pairs asked for, the back-end's GET_QUEUE_NUM says at most {BackendQueueNum}");
            }
        }
        else if (pairs > 1)
        {
            throw new InvalidOperationException($"{pairs} queue pairs need the MQ protocol feature, which the back-end does not offer (protocol features 0x{BackendProtocolFeatures:x})");
        }

        Post(VhostUserMessage.Empty(VhostUserRequest.SetOwner));

        NegotiatedFeatures = _options.Features & BackendFeatures & ~(1UL << LibC.VHOST_F_LOG_ALL);
        if (pairs > 1 && !Has(LibC.VIRTIO_NET_F_MQ))
        {
            throw new InvalidOperationException($"{pairs} queue pairs need VIRTIO_NET_F_MQ in the options' and the back-end's features (back-end 0x{BackendFeatures:x})");
        }
        if (_options.UseIndirect && !Has(LibC.VIRTIO_RING_F_INDIRECT_DESC))
        {
            throw new InvalidOperationException($"UseIndirect needs VIRTIO_RING_F_INDIRECT_DESC in the options' and the back-end's features (back-end 0x{BackendFeatures:x})");
        }
        Post(VhostUserMessage.U64(VhostUserRequest.SetFeatures, NegotiatedFeatures));

        Post(VhostUserMessage.MemoryTable(_memory.Table, _memory.Fds));

        RxBufferSize = _options.RxBufferSize > 0 ? _options.RxBufferSize : DefaultRxBufferSize();
        if (RxBufferSize < HeaderLength + (Mergeable ? 0 : 60))
        {
            throw new ArgumentOutOfRangeException(nameof(_options.RxBufferSize), RxBufferSize, "an RX buffer holds at least the header (and a minimal frame without MRG_RXBUF)");
        }
        var eventIdx = Has(LibC.VIRTIO_RING_F_EVENT_IDX);
        var indirect = Has(LibC.VIRTIO_RING_F_INDIRECT_DESC);
        _rings = new SplitRingDriver[2 * pairs];
        _completedSends = new long[pairs];
        for (var i = 0; i < _rings.Length; i++)
        {
            var legacyTx = i % 2 == 1 && !Has(LibC.VIRTIO_F_VERSION_1);
            var ring = _rings[i] = new SplitRingDriver(_memory, i, _options.RingSize, eventIdx, indirect, checkUsedLength: !legacyTx);
            Post(VhostUserMessage.VringState(VhostUserRequest.SetVringNum, (uint)i, (uint)_options.RingSize));
            Post(VhostUserMessage.VringAddress(ring.VringAddress));
            Post(VhostUserMessage.VringState(VhostUserRequest.SetVringBase, (uint)i, 0));
            if (i % 2 == 0)
            {
                FillReceiveRing(ring, pairs);
            }
            Post(VhostUserMessage.U64(VhostUserRequest.SetVringKick, (ulong)i, fds: [ring.KickFd]));
            Post(VhostUserMessage.U64(VhostUserRequest.SetVringCall, (ulong)i, fds: [ring.CallFd]));
        }
        if (protocol)
        {
            for (var i = 0; i < _rings.Length; i++)
            {
                Post(VhostUserMessage.VringState(VhostUserRequest.SetVringEnable, (uint)i, 1));
            }
        }
        QueuePairs = pairs;

        // Without REPLY_ACK a back-end refuses by closing: give it a moment to do so while the caller can still be told.
        EnsureAlive(TimeSpan.FromMilliseconds(20));
    }

    /// <summary>
    /// Sends <paramref name="frame"/> on pair <paramref name="queuePair"/>'s TX virtqueue: the header and the frame as
    /// one chain (split or indirect per the options), then a kick unless the back-end suppressed it. Waits up to 5 s
    /// for descriptors or guest memory when the ring is full.
    /// </summary>
    public void Send(int queuePair, ReadOnlySpan<byte> frame, VirtioNetHeader header = default)
    {
        var clock = Stopwatch.StartNew();
        while (!TrySend(queuePair, frame, header))
        {
            var ring = TxRing(queuePair);
            if (clock.Elapsed > s_sendWait)
            {
                throw new TimeoutException($"pair {queuePair}: the TX ring stayed full for {s_sendWait.TotalSeconds} s ({ring.Outstanding} chains in flight): the back-end is not consuming");
            }
            ring.WaitForUsed(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>As <see cref="Send"/>, but returns false at once when the TX ring or guest memory is full.</summary>
    public bool TrySend(int queuePair, ReadOnlySpan<byte> frame, VirtioNetHeader header = default)
    {
        var ring = TxRing(queuePair);
        ReapSends(queuePair);
        var hdrLen = HeaderLength;
        var allocations = new List<ulong>(2);
        try
        {
            var elements = new List<BufferElement>();
            if (_options.SplitDescriptors)
            {
                var h = Allocate(hdrLen, allocations);
                WriteHeader(_memory.Span(h, hdrLen), header);
                elements.Add(new BufferElement(h, (uint)hdrLen, false));
                if (frame.Length > 0)
                {
                    var f = Allocate(frame.Length, allocations);
                    frame.CopyTo(_memory.Span(f, frame.Length));
                    for (var at = 0; at < frame.Length; at += FrontendOptions.SplitChunk)
                    {
                        var piece = Math.Min(FrontendOptions.SplitChunk, frame.Length - at);
                        elements.Add(new BufferElement(f + (ulong)at, (uint)piece, false));
                    }
                }
            }
            else
            {
                var b = Allocate(hdrLen + frame.Length, allocations);
                var span = _memory.Span(b, hdrLen + frame.Length);
                WriteHeader(span[..hdrLen], header);
                frame.CopyTo(span[hdrLen..]);
                elements.Add(new BufferElement(b, (uint)(hdrLen + frame.Length), false));
            }
            if (!ring.TryPost([.. elements], _options.UseIndirect, allocations.ToArray(), out _))
            {
                FreeAll(allocations);
                return false;
            }
        }
        catch (InsufficientMemoryException) when (ring.Outstanding > 0)
        {
            FreeAll(allocations);
            return false;
        }
        catch
        {
            FreeAll(allocations);
            throw;
        }
        ring.Publish();
        return true;
    }

    /// <summary>TX chains of pair <paramref name="queuePair"/> the back-end has returned in the used ring, in all.</summary>
    public int CompletedSends(int queuePair)
    {
        ReapSends(queuePair);
        return (int)_completedSends[queuePair];
    }

    /// <summary>
    /// Receives one frame from pair <paramref name="queuePair"/>'s RX virtqueue within <paramref name="timeout"/>:
    /// reads the used ring (gathering <c>num_buffers</c> buffers with MRG_RXBUF), returns the frame and its header, and
    /// posts the buffers again. Throws <see cref="InvalidDataException"/> when the back-end breaks the virtio rules.
    /// </summary>
    public bool TryReceive(int queuePair, out byte[] frame, out VirtioNetHeader header, TimeSpan timeout)
    {
        frame = [];
        header = default;
        var ring = RxRing(queuePair);
        var clock = Stopwatch.StartNew();
        if (!ring.WaitForUsed(timeout) || !ring.TryTakeUsed(out var first))
        {
            return false;
        }
        var hdrLen = HeaderLength;
        if (first.Length < hdrLen)
        {
            throw new InvalidDataException($"pair {queuePair}: the back-end returned an RX buffer with {first.Length} bytes, less than the {hdrLen}-byte header");
        }
        var bytes = new List<byte>(capacity: (int)first.Length);
        Gather(first, bytes);
        header = MemoryMarshal.Read<VirtioNetHeader>(bytes.ToArray().AsSpan(0, VirtioNetHeader.Size));
        LastNumBuffers = hdrLen == 12 ? (ushort)(bytes[10] | (bytes[11] << 8)) : (ushort)1;
        var used = new List<UsedChain> { first };
        if (Mergeable)
        {
            if (LastNumBuffers == 0)
            {
                throw new InvalidDataException($"pair {queuePair}: num_buffers is 0 with MRG_RXBUF");
            }
            var previous = first;
            for (var k = 1; k < LastNumBuffers; k++)
            {
                if (previous.Length != previous.Chain.WritableCapacity)
                {
                    throw new InvalidDataException($"pair {queuePair}: buffer {k} of {LastNumBuffers} holds {previous.Length} of its {previous.Chain.WritableCapacity} bytes; every buffer but the last must be full (virtio 5.1.6.4.2)");
                }
                var wait = timeout - clock.Elapsed;
                if (!ring.WaitForUsed(wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1)) || !ring.TryTakeUsed(out var next))
                {
                    throw new InvalidDataException($"pair {queuePair}: num_buffers is {LastNumBuffers} but only {k} buffers were used");
                }
                Gather(next, bytes);
                used.Add(next);
                previous = next;
            }
        }
        frame = [.. bytes.Skip(hdrLen)];
        foreach (var u in used)
        {
            Repost(ring, (RxBuffer)u.Chain.Tag!);
        }
        ring.Publish();
        return true;
    }

    /// <summary>Interrupts (call eventfd signals) the back-end sent for pair <paramref name="queuePair"/>'s RX or TX ring.</summary>
    public long Calls(int queuePair, bool tx)
    {
        var ring = tx ? TxRing(queuePair) : RxRing(queuePair);
        ring.DrainCalls();
        return ring.Calls;
    }

    /// <summary><c>GET_VRING_BASE</c>: stops ring <paramref name="index"/> in the back-end and returns its next available index.</summary>
    public uint GetVringBase(int index) =>
        Exchange(VhostUserMessage.VringState(VhostUserRequest.GetVringBase, (uint)index, 0)).ReadVringState().num;

    /// <summary>Sends a raw message (misbehaviour tests); with <paramref name="expectReply"/> returns the back-end's reply.</summary>
    public VhostUserMessage? SendRaw(VhostUserMessage message, bool expectReply)
    {
        if (expectReply)
        {
            return Exchange(message);
        }
        Post(message, ack: false);
        return null;
    }

    /// <summary>Closes the connection (a VM that stops) and, in client mode, the listening socket and its file.</summary>
    public void Disconnect()
    {
        _socket.Dispose();
        _listener?.Dispose();
    }

    public void Dispose()
    {
        Disconnect();
        foreach (var ring in _rings)
        {
            // A Start that failed half-way leaves the later rings unmade.
            ring?.Dispose();
        }
        _memory.Dispose();
    }

    private bool Has(int bit) => (NegotiatedFeatures & (1UL << bit)) != 0;

    private bool HasProtocol(int bit) => (NegotiatedProtocolFeatures & (1UL << bit)) != 0;

    private SplitRingDriver RxRing(int queuePair) => RingOf(queuePair, 0);

    private SplitRingDriver TxRing(int queuePair) => RingOf(queuePair, 1);

    private SplitRingDriver RingOf(int queuePair, int which)
    {
        if (!_started || _rings.Length == 0)
        {
            throw new InvalidOperationException("Start has not completed");
        }
        if (queuePair < 0 || queuePair >= QueuePairs)
        {
            throw new ArgumentOutOfRangeException(nameof(queuePair), queuePair, $"{QueuePairs} queue pairs were started");
        }
        return _rings[(2 * queuePair) + which];
    }

    /// <summary>The spec's receive buffer (virtio 5.1.6.3.1), with room for one VLAN tag as Linux's driver allows.</summary>
    private int DefaultRxBufferSize()
    {
        var guestGso = Has(LibC.VIRTIO_NET_F_GUEST_TSO4) || Has(LibC.VIRTIO_NET_F_GUEST_TSO6) || Has(LibC.VIRTIO_NET_F_GUEST_UFO);
        return HeaderLength + (guestGso && !Mergeable ? 65589 : 1518);
    }

    /// <summary>Posts RX buffers while descriptors last, within half of guest memory shared by the RX rings.</summary>
    private void FillReceiveRing(SplitRingDriver ring, int pairs)
    {
        var perBuffer = (_options.UseIndirect ? 1 : (_options.SplitDescriptors ? 2 : 1));
        var byDescriptors = ring.Size / perBuffer;
        var byMemory = (int)Math.Min(int.MaxValue, _memory.TotalSize / 2 / (ulong)pairs / (ulong)(RxBufferSize + 64));
        var count = RxBuffersPerRing = Math.Min(byDescriptors, byMemory);
        if (count < 1)
        {
            throw new InsufficientMemoryException($"no room for one {RxBufferSize}-byte RX buffer per ring: raise MemoryMiB");
        }
        for (var i = 0; i < count; i++)
        {
            BufferElement[] elements;
            if (_options.SplitDescriptors)
            {
                var h = _memory.Allocate(HeaderLength, 16);
                var d = _memory.Allocate(RxBufferSize - HeaderLength, 64);
                elements = [new(h, (uint)HeaderLength, true), new(d, (uint)(RxBufferSize - HeaderLength), true)];
            }
            else
            {
                elements = [new(_memory.Allocate(RxBufferSize, 64), (uint)RxBufferSize, true)];
            }
            Repost(ring, new RxBuffer(elements));
        }
        ring.Publish();
    }

    private void Repost(SplitRingDriver ring, RxBuffer buffer)
    {
        if (HeaderLength == 12)
        {
            // num_buffers: zeroed so that a back-end which does not write it shows as 0 in LastNumBuffers.
            _memory.Span(buffer.Elements[0].Address + 10, 2).Clear();
        }
        if (!ring.TryPost(buffer.Elements, _options.UseIndirect, buffer, out _))
        {
            throw new InvalidOperationException($"ring {ring.Index}: no free descriptor to post an RX buffer again");
        }
    }

    /// <summary>Appends the <see cref="UsedChain.Length"/> bytes the device wrote, in chain order.</summary>
    private void Gather(UsedChain used, List<byte> bytes)
    {
        var left = (int)used.Length;
        foreach (var e in used.Chain.Elements)
        {
            if (left == 0)
            {
                break;
            }
            if (!e.Writable)
            {
                continue;
            }
            var n = Math.Min(left, (int)e.Length);
            bytes.AddRange(_memory.Span(e.Address, n));
            left -= n;
        }
    }

    private void ReapSends(int queuePair)
    {
        var ring = TxRing(queuePair);
        ring.DrainCalls();
        while (ring.TryTakeUsed(out var used))
        {
            FreeAll((ulong[])used.Chain.Tag!);
            _completedSends[queuePair]++;
        }
    }

    private void WriteHeader(Span<byte> destination, VirtioNetHeader header)
    {
        destination.Clear();
        MemoryMarshal.Write(destination, in header);
    }

    private ulong Allocate(int size, List<ulong> allocations)
    {
        var gpa = _memory.Allocate(size, 16);
        allocations.Add(gpa);
        return gpa;
    }

    private void FreeAll(IEnumerable<ulong> allocations)
    {
        foreach (var gpa in allocations)
        {
            _memory.Free(gpa);
        }
    }

    /// <summary>Sends a request and waits for its reply, which must answer it (same request, REPLY flag, version 1).</summary>
    private VhostUserMessage Exchange(VhostUserMessage request)
    {
        Transmit(request);
        VhostUserMessage? reply;
        try
        {
            reply = _socket.Receive(_options.ReplyTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the back-end did not answer {request.Request} within {_options.ReplyTimeoutMs} ms");
        }
        catch (IOException e)
        {
            throw new IOException($"the back-end's answer to {request.Request} broke off: {e.Message}", e);
        }
        if (reply is null)
        {
            throw new IOException($"the back-end closed the connection instead of answering {request.Request}");
        }
        foreach (var fd in reply.Fds)
        {
            _ = TmdsLibC.close(fd);
        }
        if (reply.Request != request.Request || !reply.IsReply || reply.Version != VhostUserFlags.Version)
        {
            throw new InvalidDataException($"the back-end answered {request.Request} with {reply} (expected {request.Request} with the REPLY flag and version 1)");
        }
        return reply;
    }

    /// <summary>Sends a request that has no reply of its own; with REPLY_ACK (and <paramref name="ack"/>) asks for one and checks it is 0.</summary>
    private void Post(VhostUserMessage message, bool ack = true)
    {
        if (ack && HasProtocol(VhostUserProtocolFeature.ReplyAck))
        {
            var withAck = new VhostUserMessage(message.Request, message.Flags | VhostUserFlags.NeedReply, message.Payload, message.Fds);
            var status = Exchange(withAck).ReadU64();
            if (status != 0)
            {
                throw new InvalidOperationException($"the back-end refused {message.Request} (REPLY_ACK status {status})");
            }
            return;
        }
        Transmit(message);
        EnsureAlive(TimeSpan.Zero);
    }

    private void Transmit(VhostUserMessage message)
    {
        EnsureAlive(TimeSpan.Zero);
        try
        {
            _socket.Send(message);
        }
        catch (IOException e)
        {
            throw new IOException($"the back-end closed the connection (sending {message.Request}, after {_last}): {e.Message}", e);
        }
        _sent.Add(message.Request);
        _last = message.Request;
    }

    /// <summary>Throws when the back-end has closed the connection, or sent something nobody asked for.</summary>
    private void EnsureAlive(TimeSpan wait)
    {
        if (!_socket.WaitReadable(wait))
        {
            return;
        }
        VhostUserMessage? stray;
        try
        {
            stray = _socket.Receive(TimeSpan.FromMilliseconds(100));
        }
        catch (IOException e)
        {
            throw new IOException($"the back-end closed the connection after {_last}: {e.Message}", e);
        }
        if (stray is null)
        {
            throw new IOException($"the back-end closed the connection after {_last}");
        }
        foreach (var fd in stray.Fds)
        {
            _ = TmdsLibC.close(fd);
        }
        throw new InvalidDataException($"the back-end sent {stray} unasked (after {_last})");
    }

    /// <summary>An RX buffer: its elements, posted again as they are after each use.</summary>
    private sealed record RxBuffer(BufferElement[] Elements);
}
