using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;
using VSwitch.Daemon;
using VSwitch.Daemon.Api;
using VSwitch.Daemon.Hosting;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Api.Tests;

/// <summary>
/// The daemon's control plane in-process: a data path with <c>memory</c> ports, the reconciler, the SQLite store in a
/// temporary state directory, the model owner and the real API server on a temporary Unix socket and a loopback TCP port.
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    /// <summary>A member of project <c>p1</c> (the token file's <c>TOKEN PROJECT ROLE</c> form).</summary>
    public const string MemberToken = "member-token-p1-0123456789";

    /// <summary>A member of project <c>p2</c>.</summary>
    public const string OtherMemberToken = "member-token-p2-0123456789";

    private readonly Datapath _datapath;
    private readonly Reconciler _reconciler;
    private readonly StateStore _store;
    private readonly ListeningSockets _listeners;
    private readonly ApiServer _server;
    private readonly bool _ownsDirectory;

    private ApiHost(string stateDir, bool ownsDirectory, bool startWorkers, SwitchModel? fileModel, QuotaLimits? quotas, int maxPorts)
    {
        StateDir = stateDir;
        _ownsDirectory = ownsDirectory;
        // A free port can be taken by a test running in parallel between FreePort and the bind: bind first, and try
        // another port when that happens.
        for (var attempt = 0; _listeners is null; attempt++)
        {
            TcpPort = FreePort();
            try
            {
                _listeners = ListeningSockets.Bind(SocketPath, new IPEndPoint(IPAddress.Loopback, TcpPort), metricsListen: null);
            }
            catch (StartupException) when (attempt < 10)
            {
            }
        }
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = maxPorts, BufferSize = 2048 });
        if (startWorkers)
        {
            _datapath.Start();
        }
        PortTypes = new PortTypes(new VSwitch.Ports.Linux.TapPortType(), new VSwitch.Ports.Linux.AfPacketPortType(), new VSwitch.Ports.Linux.VhostUser.VhostUserPortType(), MemoryPorts);
        _reconciler = new Reconciler(_datapath, PortTypes, NullLogger<Reconciler>.Instance);
        _store = StateStore.Open(stateDir);
        Models = new ModelService(_store, _reconciler, NullLogger<ModelService>.Instance);
        Models.Start(fileModel ?? SwitchModel.Empty);
        var api = new ApiContext(Models, _reconciler, TimeProvider.System, ProjectId.Parse("admin"), PortTypes, quotas);
        var endpoint = new IPEndPoint(IPAddress.Loopback, TcpPort);
        _server = new ApiServer(new ApiOptions(SocketPath, endpoint,
            ApiTokens.Parse($"# the operator\n{Token}\n{MemberToken} p1 member\n{OtherMemberToken} p2 member\n")), _listeners, api, _datapath,
            NullLoggerFactory.Instance);
    }

    public string StateDir { get; }

    public string SocketPath => Path.Combine(StateDir, "api.sock");

    public int TcpPort { get; }

    public ModelService Models { get; }

    public Reconciler Reconciler => _reconciler;

    public Datapath Datapath => _datapath;

    /// <summary>The <c>memory</c> ports the reconciler opened, by device string (to inject and take frames).</summary>
    public RecordingMemoryPortType MemoryPorts { get; } = new();

    /// <summary>The daemon's port types, with <see cref="MemoryPorts"/> for <c>memory</c>.</summary>
    public PortTypes PortTypes { get; }

    /// <summary>
    /// Starts a host over a new state directory, or over <paramref name="stateDir"/> (a restart); with
    /// <paramref name="startWorkers"/> the data path's worker runs, so frames injected into memory ports are forwarded;
    /// <paramref name="fileModel"/> is the configuration file's model merged in at start (none by default);
    /// <paramref name="quotas"/> the default quota (Neutron's by default, as the daemon's); <paramref name="maxPorts"/> the
    /// data path's port slots.
    /// </summary>
    public static async Task<ApiHost> StartAsync(string? stateDir = null, bool startWorkers = false, SwitchModel? fileModel = null, QuotaLimits? quotas = null,
        int maxPorts = 128)
    {
        var owns = stateDir is null;
        stateDir ??= Directory.CreateTempSubdirectory("vswitch-api-").FullName;
        var host = new ApiHost(stateDir, owns, startWorkers, fileModel, quotas, maxPorts);
        await host._server.StartAsync(CancellationToken.None);
        return host;
    }

    /// <summary>An HTTP client over the Unix socket (no token needed).</summary>
    public HttpClient Client()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://vswitch/") };
    }

    /// <summary>An HTTP client over TCP, with the token if given.</summary>
    public HttpClient TcpClient(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{TcpPort}/") };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Add("X-Auth-Token", token);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        _listeners.Dispose();
        _reconciler.Dispose();
        _datapath.Stop();
        _datapath.Dispose();
        _store.Dispose();
        if (_ownsDirectory)
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>Opens <c>memory</c> ports like <see cref="MemoryPortType"/> and remembers them by device string.</summary>
internal sealed class RecordingMemoryPortType : IPortType
{
    private readonly MemoryPortType _inner = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, InMemoryPort> _ports = new();

    public string Scheme => _inner.Scheme;

    public string Syntax => _inner.Syntax;

    public PortDevice Parse(string device) => _inner.Parse(device) with { Type = this };

    public IPort Open(PortRequest request)
    {
        var port = (InMemoryPort)_inner.Open(request);
        _ports[request.Device] = port;
        return port;
    }

    /// <summary>The port last opened for <paramref name="device"/>.</summary>
    public InMemoryPort this[string device] => _ports[device];
}

/// <summary>JSON requests and answers.</summary>
internal static class Http
{
    /// <summary>Sends <paramref name="json"/> (if any) with one extra <paramref name="header"/> (if any); the answer's status and body.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendJson(this HttpClient client, HttpMethod method, string path, string? json = null,
        (string Name, string Value)? header = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (header is var (name, value))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static Task<(HttpStatusCode Status, JsonNode? Body)> GetJson(this HttpClient client, string path) => client.SendJson(HttpMethod.Get, path);

    public static Task<(HttpStatusCode Status, JsonNode? Body)> PostJson(this HttpClient client, string path, string json) =>
        client.SendJson(HttpMethod.Post, path, json);

    public static Task<(HttpStatusCode Status, JsonNode? Body)> PutJson(this HttpClient client, string path, string json) =>
        client.SendJson(HttpMethod.Put, path, json);

    public static Task<(HttpStatusCode Status, JsonNode? Body)> DeleteJson(this HttpClient client, string path) => client.SendJson(HttpMethod.Delete, path);

    /// <summary>POSTs and returns the created resource's object, asserting 201.</summary>
    public static async Task<JsonObject> CreateAsync(this HttpClient client, string collection, string key, string json)
    {
        var (status, body) = await client.PostJson($"v2.0/{collection}", json);
        Assert.True(status == HttpStatusCode.Created, $"{status}: {body?.ToJsonString()}");
        return body![key]!.AsObject();
    }

    /// <summary>Asserts a NeutronError answer and returns its message.</summary>
    public static string AssertError((HttpStatusCode Status, JsonNode? Body) answer, HttpStatusCode status, string? type = null)
    {
        Assert.True(answer.Status == status, $"expected {status}, got {answer.Status}: {answer.Body?.ToJsonString()}");
        var error = answer.Body!["NeutronError"]!;
        if (type is not null)
        {
            Assert.Equal(type, (string?)error["type"]);
        }
        Assert.NotNull((string?)error["detail"]);
        return (string)error["message"]!;
    }
}
