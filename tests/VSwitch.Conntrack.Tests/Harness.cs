using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;

namespace VSwitch.Conntrack.Tests;

/// <summary>A table with a fake clock, and shorthands that parse a frame and track or commit it.</summary>
internal sealed class Harness : IDisposable
{
    public Harness(int maxEntries = 1024, int shards = 4, ConnTimeouts? timeouts = null)
    {
        Table = new ConnTable(new ConnTableOptions
        {
            MaxEntries = maxEntries,
            ShardCount = shards,
            HashSeed = 0x1234_5678_9ABC_DEF0UL,
            Timeouts = timeouts ?? ConnTimeouts.Default,
        });
    }

    public ConnTable Table { get; }

    /// <summary>The fake clock, in milliseconds.</summary>
    public long Now { get; set; } = 1_000_000;

    public ConnLookup Track(byte[] frame, int zone = 0) => Table.Track(frame, FrameBuilder.Parse(frame), zone, Now);

    public ConnCommitResult Commit(byte[] frame, int zone = 0, int inPort = 1, int outPort = 2, int rule = 7, long generation = 1) =>
        Table.Commit(frame, FrameBuilder.Parse(frame), zone, Now, new ConnAdmission(generation, inPort, outPort, rule), out _);

    /// <summary>Tracks a first packet (must be New) and commits it (must be Created); returns the handle.</summary>
    public ConnHandle Open(byte[] frame, int zone = 0, int inPort = 1, int outPort = 2, int rule = 7, long generation = 1)
    {
        var packet = FrameBuilder.Parse(frame);
        Assert.Equal(ConnVerdict.New, Table.Track(frame, packet, zone, Now).Verdict);
        var result = Table.Commit(frame, packet, zone, Now, new ConnAdmission(generation, inPort, outPort, rule), out var handle);
        Assert.Equal(ConnCommitResult.Created, result);
        Assert.True(handle.IsValid);
        return handle;
    }

    /// <summary>Tracks a packet that must be Established; returns the lookup.</summary>
    public ConnLookup Pass(byte[] frame, int zone = 0)
    {
        var lookup = Track(frame, zone);
        Assert.Equal(ConnVerdict.Established, lookup.Verdict);
        return lookup;
    }

    public ConnInfo Single()
    {
        var list = Table.List();
        Assert.Single(list);
        return list[0];
    }

    public void Dispose() => Table.Dispose();
}

/// <summary>Keeps both sides' sequence numbers of one TCP connection and builds its segments.</summary>
internal sealed class TcpSession
{
    public TcpSession(string client = "10.0.0.1", ushort clientPort = 40000, string server = "10.0.0.2", ushort serverPort = 80,
        uint clientIsn = 1000, uint serverIsn = 5_000_000, byte? clientScale = null, byte? serverScale = null)
    {
        Client = client;
        ClientPort = clientPort;
        Server = server;
        ServerPort = serverPort;
        ClientIsn = clientIsn;
        ServerIsn = serverIsn;
        ClientNext = clientIsn + 1;
        ServerNext = serverIsn + 1;
        ClientScale = clientScale;
        ServerScale = serverScale;
    }

    public string Client { get; }
    public ushort ClientPort { get; }
    public string Server { get; }
    public ushort ServerPort { get; }
    public uint ClientIsn { get; }
    public uint ServerIsn { get; }
    public byte? ClientScale { get; }
    public byte? ServerScale { get; }

    /// <summary>The client's next sequence number (after its SYN).</summary>
    public uint ClientNext { get; set; }

    /// <summary>The server's next sequence number (after its SYN-ACK).</summary>
    public uint ServerNext { get; set; }

    public byte[] Syn() => FrameBuilder.Tcp(Client, ClientPort, Server, ServerPort, TcpFlags.Syn, ClientIsn, 0, windowScale: ClientScale);

    public byte[] SynAck() => FrameBuilder.Tcp(Server, ServerPort, Client, ClientPort, TcpFlags.Syn | TcpFlags.Ack, ServerIsn,
        ClientIsn + 1, windowScale: ServerScale);

    /// <summary>A segment from the client at its next sequence number, acknowledging everything the server sent.</summary>
    public byte[] FromClient(byte flags = TcpFlags.Ack, int payload = 0, ushort window = 65535)
    {
        var frame = FrameBuilder.Tcp(Client, ClientPort, Server, ServerPort, flags, ClientNext,
            (flags & TcpFlags.Ack) != 0 ? ServerNext : 0, window, payload);
        ClientNext += (uint)payload + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
        return frame;
    }

    /// <summary>A segment from the server at its next sequence number, acknowledging everything the client sent.</summary>
    public byte[] FromServer(byte flags = TcpFlags.Ack, int payload = 0, ushort window = 65535)
    {
        var frame = FrameBuilder.Tcp(Server, ServerPort, Client, ClientPort, flags, ServerNext,
            (flags & TcpFlags.Ack) != 0 ? ClientNext : 0, window, payload);
        ServerNext += (uint)payload + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
        return frame;
    }

    /// <summary>Opens the connection in <paramref name="h"/>: SYN (committed), SYN-ACK, ACK.</summary>
    public ConnHandle Handshake(Harness h, int zone = 0)
    {
        var handle = h.Open(Syn(), zone);
        h.Pass(SynAck(), zone);
        h.Pass(FromClient(), zone);
        return handle;
    }
}
