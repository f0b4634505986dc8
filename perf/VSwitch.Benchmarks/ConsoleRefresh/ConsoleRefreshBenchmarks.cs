using System.Net;
using BenchmarkDotNet.Attributes;
using Terminal.Gui.App;
using VSwitch.Admin.Client;
using VSwitch.Console;
using VSwitch.Console.Model;

namespace VSwitch.Benchmarks.ConsoleRefresh;

/// <summary>
/// One refresh of the operator console at 1,000 ports with 5,000 active connections (issue 19's scale): the API
/// read (answers from memory, in the daemon's shape: ports and groups unchanged, so 304 as the daemon answers them;
/// the connections with the fields the console asks for),
/// the screen's update and Terminal.Gui's layout and draw, on its headless ANSI driver, in a terminal of 80×24 and of
/// 200×50. Single-threaded, so the time is the CPU the refresh costs; what the console's process spends besides
/// (Terminal.Gui's input and main loops polling 75 times a second) is in perf/console-refresh.sh's figures.
/// </summary>
[MemoryDiagnoser]
public class ConsoleRefreshBenchmarks
{
    private IApplication _app = null!;
    private ConsoleWindow _window = null!;
    private SnapshotReader _reader = null!;
    private Canned _api = null!;

    [Params(Screen.Overview, Screen.Flows)]
    public Screen Screen { get; set; }

    [Params("80x24", "200x50")]
    public string Terminal { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        Environment.SetEnvironmentVariable("DisableRealDriverIO", "1");
        _api = new Canned(ports: 1000, flows: 5000);
        _app = Application.Create();
        _app.Init("ansi");
        var size = Terminal.Split('x').Select(int.Parse).ToArray();
        _app.Driver!.SetScreenSize(size[0], size[1]);
        var client = new VSwitchClient(new HttpClient(_api) { BaseAddress = new Uri("http://vswitch/") });
        _window = new ConsoleWindow(_app, client, "bench");
        _app.Begin(_window);
        _window.Show(Screen);
        _reader = new SnapshotReader(client);
        for (var i = 0; i < 3; i++)
        {
            Refresh();
        }
    }

    [Benchmark]
    public void Refresh()
    {
        var snapshot = _reader.ReadAsync(Screen, activeFlowsOnly: true, flowPortId: null, default).GetAwaiter().GetResult();
        _window.Apply(snapshot);
        _app.LayoutAndDraw();
        _api.Tick++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _window.Stop();
        _window.Dispose();
        _app.Dispose();
    }

    /// <summary>The daemon's answers from memory: counters alternate between two versions; ports and groups are tagged.</summary>
    private sealed class Canned(int ports, int flows) : HttpMessageHandler
    {
        private readonly byte[][] _stats = [RefreshBodies.Stats(ports, 0), RefreshBodies.Stats(ports, 1)];
        private readonly byte[][] _flows = [RefreshBodies.Flows(flows, 0, SnapshotReader.FlowFields), RefreshBodies.Flows(flows, 1, SnapshotReader.FlowFields)];
        private readonly byte[] _ports = RefreshBodies.Ports(ports);
        private readonly byte[] _groups = RefreshBodies.Groups();

        public int Tick { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var (body, tagged) = path switch
            {
                "/v2.0/vswitch/stats" => (_stats[Tick % 2], false),
                "/v2.0/vswitch/flows" => (_flows[Tick % 2], false),
                "/v2.0/ports" => (_ports, true),
                "/v2.0/security-groups" => (_groups, true),
                _ => ([], false),
            };
            var response = new HttpResponseMessage(body.Length == 0 ? HttpStatusCode.NotFound : HttpStatusCode.OK);
            if (tagged)
            {
                response.Headers.ETag = new("\"bench\"");
                if (request.Headers.IfNoneMatch.Count > 0)
                {
                    response.StatusCode = HttpStatusCode.NotModified;
                    return Task.FromResult(response);
                }
            }
            response.Content = new ByteArrayContent(body);
            return Task.FromResult(response);
        }
    }
}
