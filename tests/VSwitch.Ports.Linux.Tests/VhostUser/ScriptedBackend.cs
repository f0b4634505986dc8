using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// A vhost-user back-end that follows a script, on its own thread, over one end of a socket pair: answers the
/// <c>GET_*</c> requests with the configured values, acknowledges <c>NEED_REPLY</c> with 0, records every message (with
/// its fds, closed on dispose), and can refuse, ignore, mis-answer or hang up on a chosen request.
/// </summary>
internal sealed class ScriptedBackend : IDisposable
{
    private readonly VhostUserSocket _socket;
    private readonly List<VhostUserMessage> _received = [];
    private readonly Thread _thread;

    public ScriptedBackend(VhostUserSocket socket, ulong features, ulong protocolFeatures, ulong queueNum = 4)
    {
        _socket = socket;
        Features = features;
        ProtocolFeatures = protocolFeatures;
        QueueNum = queueNum;
        _thread = new Thread(Run) { IsBackground = true, Name = "scripted vhost-user back-end" };
    }

    public ulong Features { get; }

    public ulong ProtocolFeatures { get; }

    public ulong QueueNum { get; }

    /// <summary>Acknowledge this request with status 1 (it must carry NEED_REPLY).</summary>
    public VhostUserRequest RefuseRequest { get; init; }

    /// <summary>Close the connection on receiving this request.</summary>
    public VhostUserRequest CloseOn { get; init; }

    /// <summary>Answer this request with another request code.</summary>
    public VhostUserRequest MisanswerRequest { get; init; }

    /// <summary>Never answer this request.</summary>
    public VhostUserRequest IgnoreRequest { get; init; }

    /// <summary>An exception the back-end thread met, if any.</summary>
    public Exception? Fault { get; private set; }

    public IReadOnlyList<VhostUserMessage> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public ScriptedBackend Start()
    {
        _thread.Start();
        return this;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
        lock (_received)
        {
            foreach (var fd in _received.SelectMany(m => m.Fds))
            {
                _ = TmdsLibC.close(fd);
            }
            _received.Clear();
        }
    }

    private void Run()
    {
        try
        {
            while (!_socket.IsClosed)
            {
                if (!_socket.WaitReadable(TimeSpan.FromMilliseconds(100)))
                {
                    continue;
                }
                var message = _socket.Receive(TimeSpan.FromSeconds(5));
                if (message is null)
                {
                    return;
                }
                lock (_received)
                {
                    _received.Add(message);
                }
                if (message.Request == CloseOn)
                {
                    _socket.Dispose();
                    return;
                }
                if (message.Request == IgnoreRequest)
                {
                    continue;
                }
                var reply = Answer(message);
                if (reply is not null)
                {
                    _socket.Send(reply);
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (IOException) when (_socket.IsClosed)
        {
        }
        catch (Exception e)
        {
            Fault = e;
        }
    }

    private VhostUserMessage? Answer(VhostUserMessage m)
    {
        var code = m.Request == MisanswerRequest ? VhostUserRequest.SetOwner : m.Request;
        return m.Request switch
        {
            VhostUserRequest.GetFeatures => VhostUserMessage.U64(code, Features, VhostUserFlags.Reply),
            VhostUserRequest.GetProtocolFeatures => VhostUserMessage.U64(code, ProtocolFeatures, VhostUserFlags.Reply),
            VhostUserRequest.GetQueueNum => VhostUserMessage.U64(code, QueueNum, VhostUserFlags.Reply),
            VhostUserRequest.GetVringBase => VhostUserMessage.VringState(code, m.ReadVringState().index, 7, VhostUserFlags.Reply),
            _ when m.NeedsReply => VhostUserMessage.U64(code, m.Request == RefuseRequest ? 1UL : 0UL, VhostUserFlags.Reply),
            _ => null,
        };
    }
}
